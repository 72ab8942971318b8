"""`make bench`: server time of the web client's pages, embedded mode with the demo data.

The signed-in home page (办事大厅: six API calls) and a form page (申请计划项目: processes,
prefill, 附件管理's files), rendered in process through the gateway (Flask's test client:
no network, so the figure is the server's time). Target p95 < 50 ms. A benchmark, not a
test: it prints a table and fails on nothing but a broken page.
"""
from __future__ import annotations

import base64
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = 200
PAGES = {"办事大厅 /": "/", "申请计划项目 /apply/plan_project": "/apply/plan_project",
         "我的申请 /applications": "/applications"}


def signed_in_client(system):
    client = system.gateway.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    reply = client.post("/login", data={"csrf_token": token, "username": "zhangsan",
                                        "password": "Rencai@2026"})
    assert reply.status_code == 302, reply.status_code
    return client


def main() -> None:
    os.environ.setdefault("RENCAI_PII_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("RENCAI_RATE_LIMIT", "100000")
    from gateway.embedded import EmbeddedSystem
    from tests.support import APPLICATION, Gateway

    system = EmbeddedSystem(Path(tempfile.mkdtemp(prefix="rencai-bench-web-")))
    system.seed_demo()
    system.settle()
    applicant = Gateway.in_process(system).login("zhangsan")
    for _ in range(5):  # something in 当前在办业务 and 我的申请
        applicant.submit(APPLICATION)
    system.settle()
    client = signed_in_client(system)
    print(f"\nweb pages, embedded, {ROUNDS} requests each (server time, ms)")
    print(f"{'page':<36}{'p50':>8}{'p95':>8}{'max':>8}")
    for name, path in PAGES.items():
        for _ in range(10):
            assert client.get(path).status_code == 200
        timings = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            reply = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200, (path, reply.status_code)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{name:<36}{p50:>8.1f}{p95:>8.1f}{timings[-1]:>8.1f}")
    inbox_page(system)
    system.close()


INBOX_TASKS = 10_000  # open tasks in the reviewer's group (issue 13: p95 < 100 ms)


def staff_client(system, username: str):
    """A reviewer signed in through 工作人员登录 with the authenticator's code."""
    from tests.support import Gateway

    staff = Gateway.in_process(system).staff
    client = system.gateway.test_client()
    page = client.get("/review/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    reply = client.post("/review/login", data={
        "csrf_token": token, "username": username, "password": "Rencai@2026",
        "code": staff.code(username, staff.secrets[username])})
    assert reply.status_code == 302, reply.status_code
    return client


def inbox_page(system) -> None:
    """待办 of 市科委's reviewer over INBOX_TASKS open tasks of the group (counts, a page of
    ten with its total, the saved filters, the processes: four API calls)."""
    from sqlalchemy import select

    from services.workflow.model import Definition
    from tests.bench_workflow import fill

    db = system.kit("workflow").db
    with db.reading() as session:
        definition = session.scalars(select(Definition.id).where(
            Definition.process_key == "plan_project", Definition.state == "deployed")).first()
    fill(db, INBOX_TASKS, group="supervisor:00000000-0000-4000-8000-000000000011",
         definition_id=definition)
    client = staff_client(system, "kewei")
    pages = {f"待办 /review/ ({INBOX_TASKS} 个待办)": "/review/",
             "待办 按申请人筛选": "/review/?applicant=申请人99"}
    for name, path in pages.items():
        for _ in range(5):
            assert client.get(path).status_code == 200
        timings = []
        for _ in range(ROUNDS // 2):
            started = time.perf_counter()
            reply = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200, (path, reply.status_code)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{name:<36}{statistics.median(timings):>8.1f}{p95:>8.1f}{timings[-1]:>8.1f}")


if __name__ == "__main__":
    main()
