"""What an approval step costs the workflow database (issue 16): one transaction per user
action with the response built inside it, no expert panel for a process without experts, no
row read twice. Counted on the embedded system's workflow engine."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from services.common.db import autocommitting
from tests.bench_stack import chain_forms, chain_xml


@contextmanager
def statements(embedded):
    engine = embedded.kit("workflow").db.engine
    seen: list[str] = []

    def record(connection, *args):
        if len(args) > 1 and isinstance(args[1], str):
            seen.append(args[1])
        elif not autocommitting(connection):  # an autocommit read sends no BEGIN/ROLLBACK
            seen.append("TRANSACTION")

    listeners = [("before_cursor_execute", record), ("begin", record), ("commit", record),
                 ("rollback", record)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def kinds(seen: list[str]) -> list[str]:
    """'UPDATE task', 'SELECT audit_entry', 'TRANSACTION': what each round trip was."""
    named = []
    for statement in seen:
        words = statement.replace('"', "").split()
        if words[0] == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "?"
        elif words[0] in ("INSERT", "DELETE"):
            table = words[2]
        else:
            table = words[1] if len(words) > 1 else ""
        named.append(f"{words[0]} {table}".strip())
    return named


# Each round trip of one approval step (issue 16's target: at most 12 across all services),
# in order. A change that adds one fails here: say in its commit why the step needs it.
# PostgreSQL sends 12 of these 13: the audit log's INSERT and its head's UPDATE are one
# statement there. No service is asked anything else (the gateway checks signatures only).
ONE_STEP = [
    "SELECT token_denylist",  # is the token revoked? (the service's own copy, no transaction)
    "TRANSACTION",
    "SELECT task",  # the task, its instance, the instance's other tasks, the actor's org
    "UPDATE task",  # compare-and-swap: completed
    "INSERT audit_entry",  # the timeline
    "INSERT task",  # the next step
    "UPDATE instance",  # compare-and-swap: the engine's state, status, stage
    "SELECT audit_entry",  # the response's timeline
    "INSERT outbox",  # task.completed and task.created, one multi-row INSERT
    "UPDATE audit_chain",  # the audit log: lock the head (last, held shortest)
    "INSERT audit_log",
    "UPDATE audit_chain",  # (PostgreSQL: with the INSERT, one statement; then NOTIFY)
    "TRANSACTION",
]


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
    assert [e["action"] for e in done.body["timeline"]] == ["submit", "approve"]
    assert done.body["withdrawable"] is False
    # 45 before issue 16's first round, 19 before its second; no definition read (kept in
    # memory once a version was read), no expert panel for this process.
    assert kinds(seen) == ONE_STEP, "\n".join(seen)


def test_starting_an_instance_inserts_it_once(gateway, embedded):
    key = "cost_chain_once"
    admin = gateway.login("admin")
    uploaded = admin.post(f"/api/workflow/admin/definitions/{key}/versions",
                          {"bpmn_xml": chain_xml(key), "forms": chain_forms()})
    assert admin.post(f"/api/workflow/admin/definitions/{key}/versions/"
                      f"{uploaded.body['version']}/deploy", {}).status == 200
    with statements(embedded) as seen:
        started = gateway.login("zhangsan").post("/api/workflow/instances",
                                                 {"process_key": key, "data": {}})
    assert started.status == 201, started
    assert [e["action"] for e in started.body["timeline"]] == ["submit"]
    assert started.body["withdrawable"] is True
    assert kinds(seen) == [
        "SELECT token_denylist",  # the caller's token, in workflow's copy of the denylist
        "TRANSACTION",
        "SELECT definition",  # the version new instances start on
        "SELECT person_unit",  # the applicant's unit (read once for every check)
        "SELECT restriction",
        "SELECT org_entry",  # the unit's name
        "SELECT person_record",  # the applicant's verified name
        "INSERT instance",  # once, with the engine's state: no UPDATE after the run
        "INSERT audit_entry",
        "INSERT task",
        "INSERT outbox",  # instance.started and task.created
        "UPDATE audit_chain", "INSERT audit_log", "UPDATE audit_chain",
        "TRANSACTION",
    ], "\n".join(seen)  # 23 before issue 16's second round


def test_a_short_inbox_page_knows_its_total_without_counting(gateway, embedded):
    unit = gateway.login("zhizao")
    full = unit.get("/api/workflow/tasks?per_page=100").body
    assert full["total"] < 100, "the demo unit's inbox fits one page"
    with statements(embedded) as seen:
        listed = unit.get("/api/workflow/tasks?per_page=100")
    assert listed.body["total"] == len(listed.body["items"]) == full["total"]
    assert not any("count(" in s for s in seen)
    assert "TRANSACTION" not in seen  # a read sends no BEGIN/ROLLBACK (autocommit)
    # the denylist lookup and the page: the whole list's cost across services (no identity)
    assert len(seen) <= 3, "\n".join(seen)
    assert sum("token_denylist" in statement for statement in seen) == 1
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
