"""What an approval step costs the workflow database (issue 16): one transaction per user
action with the response built inside it, no expert panel for a process without experts, no
row read twice. Counted on the embedded system's workflow engine."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.bench_stack import chain_forms, chain_xml


@contextmanager
def statements(embedded):
    engine = embedded.kit("workflow").db.engine
    seen: list[str] = []

    def record(*args):
        seen.append(args[2] if len(args) > 2 and isinstance(args[2], str) else "TRANSACTION")

    listeners = [("before_cursor_execute", record), ("begin", record), ("commit", record)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def test_an_approval_step_is_one_transaction_of_few_statements(gateway, embedded):
    key = "cost_chain"
    admin = gateway.login("admin")
    uploaded = admin.post(f"/api/workflow/admin/definitions/{key}/versions",
                          {"bpmn_xml": chain_xml(key), "forms": chain_forms()})
    assert uploaded.status == 201, uploaded
    assert admin.post(f"/api/workflow/admin/definitions/{key}/versions/"
                      f"{uploaded.body['version']}/deploy", {}).status == 200
    started = gateway.login("zhangsan").post("/api/workflow/instances",
                                             {"process_key": key, "data": {}})
    assert started.status == 201, started
    unit = gateway.login("zhizao")
    task = unit.get(f"/api/workflow/tasks?process_key={key}").body["items"][0]

    with statements(embedded) as seen:
        done = unit.post(f"/api/workflow/tasks/{task['id']}/complete",
                         {"data": {"decision": "approve", "comment": "同意"}})
    assert done.status == 200, done
    assert done.body["current_stage"][0]["title"] == "第2级审核"  # the response: after the step
    assert seen.count("TRANSACTION") == 2  # one BEGIN, one COMMIT: a single transaction
    assert not any("staff_member" in s for s in seen)  # no expert panel for this process
    assert not any(s.startswith("SELECT definition") for s in seen[seen.index(
        next(s for s in seen if s.startswith("SELECT definition"))) + 1:])  # read once
    assert len(seen) <= 20, "\n".join(seen)  # 45 before (two transactions, the panel, reloads)


def test_a_short_inbox_page_knows_its_total_without_counting(gateway, embedded):
    unit = gateway.login("zhizao")
    full = unit.get("/api/workflow/tasks?per_page=100").body
    assert full["total"] < 100, "the demo unit's inbox fits one page"
    with statements(embedded) as seen:
        listed = unit.get("/api/workflow/tasks?per_page=100")
    assert listed.body["total"] == len(listed.body["items"]) == full["total"]
    assert not any("count(" in s for s in seen)
    assert len([s for s in seen if s != "TRANSACTION"]) <= 3, "\n".join(seen)
    if full["total"] > 1:  # a full page still counts: the total is beyond it
        one = unit.get("/api/workflow/tasks?per_page=1").body
        assert one["total"] == full["total"] and len(one["items"]) == 1
        past = unit.get(f"/api/workflow/tasks?per_page=1&page={full['total'] + 1}").body
        assert past["total"] == full["total"] and past["items"] == []


def test_starting_an_instance_is_one_transaction(gateway, embedded):
    key = "cost_chain_start"
    admin = gateway.login("admin")
    uploaded = admin.post(f"/api/workflow/admin/definitions/{key}/versions",
                          {"bpmn_xml": chain_xml(key), "forms": chain_forms()})
    assert admin.post(f"/api/workflow/admin/definitions/{key}/versions/"
                      f"{uploaded.body['version']}/deploy", {}).status == 200
    with statements(embedded) as seen:
        started = gateway.login("zhangsan").post("/api/workflow/instances",
                                                 {"process_key": key, "data": {}})
    assert started.status == 201, started
    assert started.body["current_stage"][0]["title"] == "第1级审核"
    assert seen.count("TRANSACTION") == 2, "\n".join(seen)  # one BEGIN, one COMMIT
