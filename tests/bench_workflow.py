"""Workflow benchmark (not a test): inbox query latency over many tasks.

    RENCAI_BENCH_URL=postgresql+psycopg://root@127.0.0.1:5432/rencai_bench \\
        .venv/bin/python -m tests.bench_workflow 1000000

Fills `task`/`instance` (in batches) in a throwaway database migrated to head, then times the
inbox query of one group of 200 (first page with its total, with and without filters).
Defaults to SQLite under /tmp and 100 000 tasks; RENCAI_BENCH_REUSE=1 times a filled db again.
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert

from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.migrate import upgrade
from services.workflow.model import Definition, Instance, Task
from services.workflow.service import inbox


def fill(db: Database, count: int, groups: int = 200, batch: int = 10_000,
         group: str | None = None, definition_id: str | None = None) -> None:
    """`group`: every task in this one candidate group (else spread over `groups`);
    `definition_id`: an already deployed plan_project definition (else a bench one)."""
    now = utcnow()
    if definition_id is None:
        definition_id = "bench"
        with db.transaction() as session:
            session.execute(insert(Definition).values(
                id="bench", process_key="plan_project", name="申请计划项目", version=1,
                checksum="x", bpmn_xml=b"", forms={}, deployed_at=now, state="deployed"))
    for start in range(0, count, batch):
        instances, tasks = [], []
        for n in range(start, min(start + batch, count)):
            instance_id = str(uuid.uuid4())
            at = now - timedelta(seconds=n)
            instances.append(dict(id=instance_id, definition_id=definition_id,
                                  process_key="plan_project",
                                  title="申请计划项目", applicant_id=str(n), applicant_name=f"申请人{n}",
                                  unit_id="u", status="running", stage="归口单位审核中",
                                  application={}, serialized="", version=1, started_at=at,
                                  updated_at=at))
            tasks.append(dict(id=str(uuid.uuid4()), instance_id=instance_id,
                              task_key="supervisor_review", title="归口单位审核",
                              lane="supervisor",
                              candidate_group=group or f"supervisor:g{n % groups}",
                              status="ready", version=1, created_at=at, due_at=at + timedelta(days=5)))
        with db.transaction() as session:
            session.execute(insert(Instance), instances)
            session.execute(insert(Task), tasks)


def main(count: int) -> None:
    url = os.environ.get("RENCAI_BENCH_URL", "sqlite:////tmp/rencai_bench_workflow.db")
    reuse = os.environ.get("RENCAI_BENCH_REUSE") == "1"  # time the queries of a filled db again
    if not reuse and url.startswith("sqlite:////tmp/") and os.path.exists(url.removeprefix("sqlite:///")):
        os.remove(url.removeprefix("sqlite:///"))
    upgrade("workflow", url)
    db = Database(url)
    if not reuse:
        began = time.perf_counter()
        fill(db, count)
        print(f"filled {count} tasks in {time.perf_counter() - began:.1f}s")
    with db.engine.begin() as connection:  # fresh statistics, as autovacuum would give
        connection.exec_driver_sql("ANALYZE")
    claims = Claims(sub="bench", kind="staff", name="审核员", org="g7", roles=("supervisor",))
    print("| query | ms (median of 20) |\n|---|---|")
    for label, query in [("first page", {}), ("applicant filter", {"applicant": "申请人1"}),
                         ("overdue=false, by due", {"overdue": False, "sort": "due_at"})]:
        timings = []
        for _ in range(20):
            began = time.perf_counter()
            inbox(db, claims, {"status": "ready", "scope": "all", "page": 1, "per_page": 20,
                               **query})
            timings.append((time.perf_counter() - began) * 1000)
        print(f"| {label} | {sorted(timings)[10]:.1f} |")
    db.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
