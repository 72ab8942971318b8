"""`make bench` (inbox part): the reviewers' inbox over 1 M tasks, 100 k of them open.

    .venv/bin/python -m tests.bench_inbox            # BENCH_INBOX_ROUNDS=200 BENCH_INBOX_TASKS=1000000

Makes a scratch PostgreSQL database, migrates workflow to head, seeds it in bulk with
INSERT ... SELECT generate_series (250 k instances of four tasks each: unit → 归口单位 →
市局 → expert; 10 % of the tasks open), then times each inbox query of the service
(`services.workflow.service.inbox`, the use case GET /api/workflow/tasks runs, its rows turned
into the response's dicts) ≥ 200 times, and prints p50/p95/p99 and the EXPLAIN (ANALYZE) of
the slowest statement of the slowest query. PostgreSQL only; skipped when it is unreachable.
A benchmark, not a test: nothing here fails on a number.
"""
from __future__ import annotations

import importlib
import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, event, text

from services.common.auth import Claims
from services.common.db import Database
from services.common.migrate import upgrade
from tests.stack.conftest import PG_ADMIN_URL, _reachable

inbox = importlib.import_module("services.workflow.service.inbox")  # the module, not the function
ROUNDS = int(os.environ.get("BENCH_INBOX_ROUNDS", "200"))
TASKS = int(os.environ.get("BENCH_INBOX_TASKS", "1000000"))
SUPERVISORS = 10  # 归口单位: each gets 1/10 of the supervisor lane's open tasks
UNITS = 5000
SUPERVISOR = "supervisor:00000000-0000-4000-8000-000000000011"  # 市科委, as in the demo
BUREAU = "bureau:00000000-0000-4000-8000-000000000100"
ME = "00000000-0000-4000-8000-00000000a001"  # the reviewer: 50 tasks assigned to them

# One task row per n: instance n / 4, lane n % 4; open when the hash of n says so (10 %).
# created_at one minute apart back from now (1 M minutes ≈ two years), due 1–60 days later.
SEED = """
INSERT INTO definition (id, process_key, name, version, checksum, bpmn_xml, forms, deployed_at,
                        state)
VALUES ('bench', 'plan_project', '申请计划项目', 1, 'x', '', '{{}}', now(), 'deployed');
INSERT INTO org_entry (org_id, kind, name) VALUES
  ('{supervisor_org}', 'supervisor', '市科学技术委员会'), ('{bureau_org}', 'bureau', '市人社局');
INSERT INTO instance (id, definition_id, process_key, title, applicant_id, applicant_name, unit_id,
                      status, stage, application, serialized, version, started_at, updated_at)
SELECT 'i' || i, 'bench', 'plan_project', '申请计划项目', 'p' || i, '申请人' || i, 'u' || (i % {units}),
       'running', '审核中', '{{}}', '', 1, now() - (4 * i) * interval '1 minute',
       now() - (4 * i) * interval '1 minute'
FROM generate_series(0, {instances} - 1) AS i;
INSERT INTO task (id, instance_id, task_key, title, lane, candidate_group, status, version,
                  created_at, completed_at, assignee, due_at)
SELECT 't' || n, 'i' || (n / 4), k.key, k.title, k.lane,
       CASE n % 4 WHEN 0 THEN 'unit:u' || ((n / 4) % {units})
                  WHEN 1 THEN CASE WHEN (n / 4) % {supervisors} = 0 THEN '{supervisor}'
                                   ELSE 'supervisor:s' || ((n / 4) % {supervisors}) END
                  WHEN 2 THEN '{bureau}'
                  ELSE 'expert:e' || ((n / 4) % 20) END,
       CASE WHEN open THEN 'ready' ELSE 'completed' END, 1,
       now() - n * interval '1 minute',
       CASE WHEN open THEN NULL ELSE now() - (n - 1) * interval '1 minute' END,
       CASE WHEN open AND n % 4 = 2 AND (n / 4) % 500 = 7 THEN '{me}'
            WHEN open AND hashint / 10 % 10 = 1 THEN 'someone' END,
       now() - n * interval '1 minute' + (1 + hashint % 60) * interval '1 day'
FROM (SELECT n, abs(hashint4(n)) AS hashint, abs(hashint4(n)) % 10 = 0 AS open
      FROM generate_series(0, {tasks} - 1) AS n) AS s
JOIN (VALUES (0, 'unit_review', '用人单位审核', 'unit'),
             (1, 'supervisor_review', '归口单位审核', 'supervisor'),
             (2, 'bureau_review', '市局审核', 'bureau'),
             (3, 'expert_review', '专家评审', 'expert')) AS k(lane_no, key, title, lane)
  ON k.lane_no = n % 4;
"""


def seed(url: str) -> float:
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(SEED.replace("%", "%%").format(
            units=UNITS, supervisors=SUPERVISORS, instances=TASKS // 4, tasks=TASKS, me=ME,
            supervisor=SUPERVISOR, bureau=BUREAU, supervisor_org=SUPERVISOR.split(":")[1],
            bureau_org=BUREAU.split(":")[1]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would, after a bulk load
    engine.dispose()
    return time.perf_counter() - started


class Statements:
    """The statements one call sends, with their parameters (for EXPLAIN) and times."""

    def __init__(self, engine):
        self.log: list[tuple[str, object, float]] = []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.log.append((statement, parameters, time.perf_counter() - conn.info["bench_started"]))


def queries() -> list[tuple[str, Claims, dict | None]]:
    supervisor = Claims(sub="kewei", kind="staff", name="归口审核员",
                        org=SUPERVISOR.split(":")[1], roles=("supervisor",))
    bureau = Claims(sub=ME, kind="staff", name="市局审核员", org=BUREAU.split(":")[1],
                    roles=("bureau",))
    page = {"status": "ready", "scope": "all", "page": 1, "per_page": 20, "sort": "-created_at"}
    return [
        ("first page, 归口单位", supervisor, page),
        ("first page, 市局", bureau, page),
        ("applicant filter, 归口单位", supervisor, {**page, "applicant": "申请人1234"}),
        ("applicant filter, 市局", bureau, {**page, "applicant": "申请人1234"}),
        ("overdue by due date, 市局", bureau, {**page, "overdue": True, "sort": "due_at"}),
        ("deep page 50, 市局", bureau, {**page, "page": 50}),
        ("cursor walk (per page), 市局", bureau, {**page, "cursor": ""}),
        ("counts, 市局", bureau, None),
        ("counts, 归口单位", supervisor, None),
    ]


def time_query(db: Database, statements: Statements, claims: Claims, query: dict | None,
               rounds: int) -> tuple[list[float], tuple]:
    """Milliseconds per call; the slowest statement seen (seconds, sql, parameters)."""
    timings, slowest = [], (0.0, "", None)
    cursor = ""
    for _ in range(rounds):
        statements.log.clear()
        started = time.perf_counter()
        if query is None:
            inbox.counts(db, claims)
        elif "cursor" in query:  # walk: each call follows the previous page's cursor
            result = inbox.inbox(db, claims, {**query, "cursor": cursor})
            cursor = result["next_cursor"] or ""
        else:
            inbox.inbox(db, claims, query)
        timings.append((time.perf_counter() - started) * 1000)
        for sql, parameters, seconds in statements.log:
            if seconds > slowest[0]:
                slowest = (seconds, sql, parameters)
    return timings, slowest


def percentile(ms: list[float], p: float) -> float:
    ms = sorted(ms)
    return ms[min(len(ms) - 1, round(p * (len(ms) - 1)))]


def explain(db: Database, sql: str, parameters) -> str:
    with db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters)
        return "\n".join(row[0] for row in plan)


def main() -> None:
    reason = _reachable()
    if reason:
        print(f"bench_inbox skipped: {reason}")
        return
    # BENCH_INBOX_DB=<name>: keep the seeded database and time it again next run (migrated
    # to head first, so a new index is measured); else a scratch one, dropped at the end.
    keep = os.environ.get("BENCH_INBOX_DB")
    name = keep or f"rencai_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_ADMIN_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": name}).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL}/{name}"
    try:
        upgrade("workflow", url)
        seconds = seed(url) if not exists else 0.0
        db = Database(url)
        statements = Statements(db.engine)
        print(f"\ninbox: {TASKS} tasks ({TASKS // 10} open) seeded in {seconds:.0f} s; "
              f"{ROUNDS} calls each, in process against PostgreSQL; load "
              f"{' '.join(open('/proc/loadavg').read().split()[:3])}")
        print("| inbox query | p50 ms | p95 ms | p99 ms | max ms | statements |")
        print("|---|---|---|---|---|---|")
        worst = (0.0, "", None, "")
        for label, claims, query in queries():
            time_query(db, statements, claims, query, 10)  # warm the cache and the plan
            timings, slowest = time_query(db, statements, claims, query, ROUNDS)
            count = len(statements.log)
            print(f"| {label} | {statistics.median(timings):.1f} | {percentile(timings, .95):.1f} "
                  f"| {percentile(timings, .99):.1f} | {max(timings):.1f} | {count} |", flush=True)
            if percentile(timings, .99) > worst[0]:
                worst = (percentile(timings, .99), slowest[1], slowest[2], label)
        print(f"\nEXPLAIN of the slowest statement of the slowest query ({worst[3]}):")
        print(worst[1])
        print(explain(db, worst[1], worst[2]))
        db.dispose()
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
