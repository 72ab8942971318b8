"""`make bench`: how long one approval step takes through the gateway, in each mode.

Embedded: the one-process system served over real HTTP on loopback (waitress, as make run).
Stack: PostgreSQL + RabbitMQ + gunicorn processes (skipped when they are unreachable).
Prints a table; a benchmark, not a test — nothing here fails on a number.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support import Gateway

ROUNDS = 30


def _measure(gateway: Gateway) -> dict[str, list[float]]:
    applicant = gateway.login("zhangsan")
    unit = gateway.login("zhizao")
    timings: dict[str, list[float]] = {"submit": [], "inbox": [], "approve": []}
    for _ in range(ROUNDS):
        started = time.perf_counter()
        instance = applicant.submit()
        timings["submit"].append(time.perf_counter() - started)
        started = time.perf_counter()
        task_id = unit.task_of(instance["id"])
        timings["inbox"].append(time.perf_counter() - started)
        started = time.perf_counter()
        reply = unit.post(f"/api/workflow/tasks/{task_id}/complete",
                          {"data": {"decision": "approve", "comment": "同意"}})
        timings["approve"].append(time.perf_counter() - started)
        assert reply.status == 200, reply
    return timings


def _throughput(gateway: Gateway, applications: int = 60, clients: int = 8) -> float:
    """Approval steps per second: `clients` unit reviewers completing tasks at once."""
    applicant = gateway.login("zhangsan")
    unit = gateway.login("zhizao")
    task_ids = [unit.task_of(applicant.submit()["id"]) for _ in range(applications)]

    def approve(task_id: str) -> int:
        return unit.post(f"/api/workflow/tasks/{task_id}/complete",
                         {"data": {"decision": "approve", "comment": "同意"}}).status

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(approve, task_ids))
    elapsed = time.perf_counter() - started
    assert statuses == [200] * applications, statuses
    return applications / elapsed


def _run(gateway: Gateway) -> dict:
    return {**_measure(gateway), "approvals per second (8 clients)": _throughput(gateway)}


def embedded() -> dict[str, list[float]]:
    from gateway.embedded import EmbeddedSystem, serve

    with tempfile.TemporaryDirectory() as var:
        system = EmbeddedSystem(Path(var))
        system.seed_demo()
        system.settle()
        system.start_bus_threads()
        server = serve(system.gateway, "127.0.0.1", 0)  # as `make run` serves
        threading.Thread(target=server.run, daemon=True).start()
        try:
            return _run(Gateway.over_http(f"http://127.0.0.1:{server.effective_port}"))
        finally:
            server.close()
            system.close()


def stack() -> dict[str, list[float]] | str:
    from tests.stack.conftest import Stack, _reachable

    reason = _reachable()
    if reason:
        return reason
    with tempfile.TemporaryDirectory() as tmp:
        running = Stack(Path(tmp))
        try:
            running.start()
            running.wait_for_read_model()
            return _run(Gateway.over_http(running.base_url))
        finally:
            running.stop()


def _row(mode: str, step: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"| {mode} | {step} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | "
            f"{statistics.mean(ms):.1f} |")


def main() -> None:
    print("| mode | step (through the gateway) | n | median ms | p95 ms | mean ms |")
    print("|---|---|---|---|---|---|")
    for mode, run in (("embedded", embedded), ("stack", stack)):
        result = run()
        if isinstance(result, str):
            print(f"| {mode} | skipped: {result} | | | | |")
            continue
        for step, samples in result.items():
            if isinstance(samples, float):
                print(f"| {mode} | {step} | | {samples:.1f} | | |")
            else:
                print(_row(mode, step, samples))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
