"""`make bench`: approval steps per second on the real stack and embedded, against pgbench.

    .venv/bin/python -m tests.bench_stack            # BENCH_SECONDS=20 BENCH_PGBENCH_SECONDS=30

Starts what it needs: the real stack as the stack tests start it (PostgreSQL databases and a
RabbitMQ vhost of its own, gunicorn processes with their bus workers, the fake SMS gateway), the embedded
system (`python -m gateway.embedded`) on a free port, and a scratch pgbench database. An admin
signs in (password + TOTP) and deploys a chain of five user tasks through the admin API; then,
alternating with `pgbench -N -c 4` so a drift of the machine shows, 1 and 4 clients each loop
"list my tasks + complete one" through the gateway. One table: completions/s, p50/p95,
CPU-seconds per instance (5 completions) per process from /proc (PostgreSQL backends of the
run's databases included), SQL statements per call (RENCAI_SQL_COUNT_DIR: every statement,
BEGIN and COMMIT the services send), WAL KiB per instance, RSS/PSS of every process, the
ratio to pgbench. The stack's databases are ANALYZEd after each fill, as autovacuum would.
A benchmark, not a test: nothing here fails on a number.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from services.common.config import PROJECT_ROOT, SERVICES
from services.common.worker import BUS_PROCESS_PREFIX
from tests.stack.conftest import PG_ADMIN_URL, Stack, _free_port, _reachable
from tests.support import Gateway, User

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
SYSTEMS = os.environ.get("BENCH_SYSTEMS", "stack,embedded")  # BENCH_SYSTEMS=stack: no embedded
PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "30"))
TICK = os.sysconf("SC_CLK_TCK")
KEY = "bench_chain"
# The demo's fake SMS gateway and name check: outside providers in a deployment, not Rencai.
STAND_INS = {"fake_gateways"}
STEPS = 5
CHAIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:rencai="https://rencai.example/bpmn/extensions" id="d_{key}" targetNamespace="t">
  <bpmn:process id="{key}" name="基准审核链" isExecutable="true" rencai:fourEyes="false">
    <bpmn:laneSet id="lanes"><bpmn:lane id="l_unit" name="unit">{refs}</bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    {nodes}
    <bpmn:endEvent id="end_approved" />
  </bpmn:process>
</bpmn:definitions>"""


def chain_xml(key: str) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>step{n}</bpmn:flowNodeRef>" for n in range(1, STEPS + 1))
    nodes, previous = [], "start"
    for n in range(1, STEPS + 1):
        nodes.append(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{previous}" targetRef="step{n}" />'
                     f'<bpmn:userTask id="step{n}" name="第{n}级审核" />')
        previous = f"step{n}"
    nodes.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end_approved" />')
    return CHAIN.format(key=key, refs=refs, nodes="\n    ".join(nodes))


def chain_forms() -> dict:
    from services.workflow import forms

    review = forms.load_forms(PROJECT_ROOT / "bpmn" / "forms" / "plan_project")["review"]
    return {"start": {"type": "object"}, "review": review,
            **{f"step{n}": {"$ref": "review.schema.json"} for n in range(1, STEPS + 1)}}


# --- /proc ----------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found + [g for c in found for g in children(c)]


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def memory_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class System:
    """What a bench phase measures: a base URL, its processes by label, its databases."""

    def __init__(self, label: str, base_url: str, roots: dict[str, int], databases: list[str],
                 count_dir: Path):
        self.label, self.base_url, self.roots = label, base_url, roots
        self.databases, self.count_dir = databases, count_dir

    def processes(self) -> dict[str, list[int]]:
        """Processes by label; a service's bus worker (a child of its gunicorn,
        services/common/worker.py) as `<service>_worker`."""
        found: dict[str, list[int]] = {}
        for label, root in self.roots.items():
            for pid in [root, *children(root)]:
                bus = process_name(pid).startswith(BUS_PROCESS_PREFIX)
                found.setdefault(f"{label}_worker" if bus else label, []).append(pid)
        return found

    def cpu(self) -> dict[str, float]:
        found = {label: sum(cpu_seconds(p) for p in pids) for label, pids in self.processes().items()}
        found["postgres"] = sum(cpu_seconds(p) for p in self.backends())
        return found

    def backends(self) -> list[int]:
        if not self.databases:
            return []
        engine = create_engine(f"{PG_ADMIN_URL}/postgres")
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = ANY(:names)"),
                    {"names": self.databases}).scalars())
        finally:
            engine.dispose()

    def statements(self) -> dict[str, int]:
        """Statements sent so far by the web processes (not the bus workers), per database."""
        workers = {p for label, pids in self.processes().items() if "worker" in label for p in pids}
        counts: dict[str, int] = {}
        for entry in os.scandir(self.count_dir):
            database, pid = entry.name.rsplit(".", 1)
            if int(pid) not in workers:
                service = next((s for s in SERVICES if s in database), database)
                counts[service] = counts.get(service, 0) + entry.stat().st_size
        return counts

    def analyze(self) -> None:
        """ANALYZE the run's databases, as autovacuum would after the fill. The test server
        runs with autovacuum off, and a phase is too short for autovacuum's first round
        anyway: without statistics the planner took the inbox's process filter for a row or
        two and answered each list with a nested loop over every instance of the process (1.5 k
        buffers a list, a third of PostgreSQL's CPU per instance)."""
        for database in self.databases:
            engine = create_engine(f"{PG_ADMIN_URL}/{database}", isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("ANALYZE")
            finally:
                engine.dispose()

    def wal(self) -> tuple[int, str] | None:
        """WAL written so far: by the run's databases' statements if the server loads
        pg_stat_statements (commit records not included), else the whole cluster's insert
        position (anything else running on the server counts too); and which one it is."""
        if not self.databases:
            return None
        engine = create_engine(f"{PG_ADMIN_URL}/postgres")
        try:
            with engine.connect() as connection:
                loaded = connection.execute(text(
                    "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).first()
                if loaded:
                    return int(connection.execute(text(
                        "SELECT coalesce(sum(s.wal_bytes), 0) FROM pg_stat_statements s"
                        " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ANY(:names)"),
                        {"names": self.databases}).scalar()), "statements"
                return int(connection.execute(text(
                    "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar()), "cluster"
        finally:
            engine.dispose()

    def relay_latency(self) -> str:
        """Outbox row written → published (sent_at - created_at), workflow's, in ms."""
        database = next((d for d in self.databases if "workflow" in d), None)
        if database is None:
            return "n/a"
        engine = create_engine(f"{PG_ADMIN_URL}/{database}")
        try:
            with engine.connect() as connection:
                p50, p99, count = connection.execute(text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),"
                    " percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), count(*) FROM"
                    " (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS ms"
                    "  FROM outbox WHERE sent_at IS NOT NULL) AS t")).one()
        finally:
            engine.dispose()
        return f"{p50:.0f} / {p99:.0f} ms (n={count})" if count else "n/a"

    def bus_latency(self, since: datetime, until: datetime,
                    responses: list[tuple[datetime, datetime]] | None = None) -> str:
        """Outbox row written (its commit follows within the use case) → the consumer's
        processed mark (committed with its effect), over every event written in the window
        and every service that consumes it: p50 / p99 in ms, and the two legs' p50 / p99
        (row → published by the relay, published → handled)."""
        if not self.databases:
            return "n/a"
        written, handled = {}, []
        for database in self.databases:
            engine = create_engine(f"{PG_ADMIN_URL}/{database}")
            try:
                with engine.connect() as connection:
                    written.update((row.id, row) for row in connection.execute(text(
                        "SELECT id, created_at, sent_at FROM outbox"
                        " WHERE created_at BETWEEN :a AND :b"), {"a": since, "b": until}))
                    handled += connection.execute(text(
                        "SELECT id, processed_at FROM processed_messages WHERE processed_at >= :a"),
                        {"a": since}).all()
            finally:
                engine.dispose()
        legs = [((at - written[id_].created_at).total_seconds() * 1000,
                 (written[id_].sent_at - written[id_].created_at).total_seconds() * 1000,
                 (at - written[id_].sent_at).total_seconds() * 1000)
                for id_, at in handled if id_ in written and written[id_].sent_at]
        if not legs:
            return "n/a"

        def p50_p99(values):
            values = sorted(values)
            return f"{statistics.median(values):.0f} / {values[round(0.99 * (len(values) - 1))]:.0f}"

        whole, relay, consumer = zip(*legs)
        found = (f"{p50_p99(whole)} ms (n={len(legs)}; relay {p50_p99(relay)}, "
                 f"published → handled {p50_p99(consumer)})")
        if responses:  # the commit came before the response: from it, a lower bound
            answered = [next((end for start, end in responses
                              if start <= written[id_].created_at <= end), None)
                        for id_, _ in handled if id_ in written]
            after = [(at - end).total_seconds() * 1000
                     for (id_, at), end in zip([h for h in handled if h[0] in written], answered)
                     if end is not None]
            if after:
                found += f"; from the response that committed it: {p50_p99(after)} ms"
        return found

    def bus_probe(self, stop: threading.Event, every: float = 0.2) -> list[float]:
        """The bus from a commit: writes an event row into workflow's outbox (with the
        NOTIFY a use case sends) every `every` s until `stop`, notes when each COMMIT
        returned, then reads when the consumer (workflow's own, of workflow.task.reminded;
        no assignee, so no prompt) committed its processed mark: ms per event."""
        database = next((d for d in self.databases if "workflow" in d), None)
        if database is None:
            return []
        engine = create_engine(f"{PG_ADMIN_URL}/{database}")
        committed = {}
        try:
            while not stop.is_set():
                envelope = {"id": str(uuid.uuid4()), "type": "workflow.task.reminded",
                            "occurred_at": datetime.now(timezone.utc).isoformat(),
                            "producer": "workflow", "subject": "bench-probe",
                            "data": {"task_id": "bench-probe", "instance_id": "bench-probe",
                                     "title": "探针", "candidate_group": "bench:probe",
                                     "assignee": None, "due_at": None},
                            "trace_id": str(uuid.uuid4())}
                with engine.begin() as connection:
                    connection.execute(text(
                        "INSERT INTO outbox (id, type, envelope, created_at)"
                        " VALUES (:id, :type, :envelope, now())"),
                        {"id": envelope["id"], "type": envelope["type"],
                         "envelope": json.dumps(envelope, ensure_ascii=False)})
                    connection.execute(text("NOTIFY rencai_outbox"))
                committed[envelope["id"]] = datetime.now(timezone.utc)
                stop.wait(every)
            deadline = time.monotonic() + 10
            while True:
                with engine.connect() as connection:
                    handled = dict(connection.execute(text(
                        "SELECT id, processed_at FROM processed_messages WHERE id = ANY(:ids)"),
                        {"ids": list(committed)}).all())
                if len(handled) == len(committed) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            engine.dispose()
        return sorted((handled[i] - at).total_seconds() * 1000 for i, at in committed.items()
                      if i in handled) + [float("inf")] * (len(committed) - len(handled))

    def memory_by_label(self) -> str:
        parts = []
        for label, pids in self.processes().items():
            totals = [memory_kib(p) for p in pids]
            parts.append(f"{label} {len(pids)}× {sum(p for _, p in totals) // 1024}")
        return "PSS MiB by process: " + ", ".join(parts)

    def memory(self) -> tuple[int, int, int]:
        """Rencai's own processes: the stand-ins for outside providers (STAND_INS) are
        listed by memory_by_label but not counted, as the issue's 19 processes were not."""
        pids = [p for label, pids in self.processes().items() if label not in STAND_INS
                for p in pids]
        totals = [memory_kib(p) for p in pids]
        return len(pids), sum(r for r, _ in totals) // 1024, sum(p for _, p in totals) // 1024


def start_stack(tmp: Path) -> tuple[Stack, System]:
    count_dir = tmp / "statements"
    count_dir.mkdir(parents=True)

    class BenchStack(Stack):
        def env(self, **extra):
            return super().env(RENCAI_SQL_COUNT_DIR=str(count_dir), **extra)

    stack = BenchStack(tmp)
    try:
        stack.start()
        stack.wait_for_read_model()
    except BaseException:
        stack.stop()
        raise
    roots = {label: process.pid for label, process in stack.processes}
    return stack, System("stack", stack.base_url, roots, list(stack.databases.values()), count_dir)


def start_embedded(tmp: Path) -> tuple[subprocess.Popen, System]:
    count_dir = tmp / "statements"
    count_dir.mkdir(parents=True)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RENCAI_SQL_COUNT_DIR": str(count_dir)}
    process = subprocess.Popen([sys.executable, "-m", "gateway.embedded", "--port", str(port),
                                "--var-dir", str(tmp / "var")], env=env, cwd=PROJECT_ROOT,
                               stdout=open(tmp / "embedded.log", "wb"), stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((tmp / "embedded.log").read_text(errors="replace")[-3000:])
        try:
            if requests.get(base_url + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    return process, System("embedded", base_url, {"embedded": process.pid}, [], count_dir)


# --- the bench chain ------------------------------------------------------------------------

class Bench:
    """The bench chain deployed on one system, its applicant and its reviewer."""

    def __init__(self, system: System, clients: int = 4):
        self.system = system
        gateway = Gateway.over_http(system.base_url)
        admin = gateway.login("admin")
        self.keys = [f"{KEY}_{n}" for n in range(clients)]  # one per client: no two race a task
        for key in self.keys:
            uploaded = admin.post(f"/api/workflow/admin/definitions/{key}/versions",
                                  {"bpmn_xml": chain_xml(key), "forms": chain_forms(),
                                   "note": "make bench"})
            assert uploaded.status == 201, uploaded
            deployed = admin.post(f"/api/workflow/admin/definitions/{key}/versions/"
                                  f"{uploaded.body['version']}/deploy", {})
            assert deployed.status == 200, deployed
        self.applicant = gateway.login("zhangsan").token
        self.reviewer = gateway.login("zhizao").token

    def user(self, token: str) -> User:
        return User(Gateway.over_http(self.system.base_url), token)  # a connection per client

    def create(self, key: str, user: User | None = None) -> float:
        user = user or self.user(self.applicant)
        started = time.perf_counter()
        reply = user.post("/api/workflow/instances", {"process_key": key, "data": {}})
        assert reply.status == 201, reply
        return time.perf_counter() - started

    def step(self, key: str, reviewer: User) -> tuple[float, float] | None:
        """List my tasks (this client's chain), complete the first: (list s, complete s)."""
        started = time.perf_counter()
        reply = reviewer.get(f"/api/workflow/tasks?process_key={key}&per_page=10")
        assert reply.status == 200, reply
        listed = time.perf_counter()
        if not reply.body["items"]:
            return None
        task = reply.body["items"][0]["id"]
        done = reviewer.post(f"/api/workflow/tasks/{task}/complete",
                             {"data": {"decision": "approve", "comment": "同意"}})
        assert done.status == 200, done
        return listed - started, time.perf_counter() - listed

    def fill(self, instances: int) -> float:
        """Starts `instances` per chain (4 clients at once); instances per second."""
        started = time.perf_counter()
        def start(key: str):
            applicant = self.user(self.applicant)
            for _ in range(instances):
                self.create(key, applicant)

        threads = [threading.Thread(target=start, args=(key,)) for key in self.keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return instances * len(self.keys) / (time.perf_counter() - started)

    def statements(self) -> dict[str, float]:
        """Statements per call, sequentially (nothing else running): create, list, complete."""
        key, reviewer = self.keys[0], self.user(self.reviewer)
        applicant = self.user(self.applicant)
        counted = {"create": 0, "list": 0, "complete": 0, "complete in workflow": 0}
        rounds = 5
        for _ in range(rounds):
            before = sum(self.system.statements().values())
            self.create(key, applicant)
            after_create = sum(self.system.statements().values())
            reply = reviewer.get(f"/api/workflow/tasks?process_key={key}&per_page=10")
            after_list = sum(self.system.statements().values())
            task = reply.body["items"][0]["id"]
            in_workflow = self.system.statements().get("workflow", 0)
            reviewer.post(f"/api/workflow/tasks/{task}/complete",
                          {"data": {"decision": "approve", "comment": "同意"}})
            by_service = self.system.statements()
            after = sum(by_service.values())
            counted["complete in workflow"] += by_service.get("workflow", 0) - in_workflow
            counted["create"] += after_create - before
            counted["list"] += after_list - after_create
            counted["complete"] += after - after_list
        return {k: v / rounds for k, v in counted.items()}

    def run(self, clients: int, seconds: float) -> dict:
        """`clients` reviewers, each looping list + complete on its own chain for `seconds`."""
        self.fill(max(4, int(seconds * 40 / STEPS / len(self.keys))))  # generous: 40 steps/s each
        self.system.analyze()
        samples: list[float] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(key: str):
            reviewer = self.user(self.reviewer)
            while not stop.is_set():
                began = time.perf_counter()
                timed = self.step(key, reviewer)
                if timed is None:
                    self.create(key)
                    continue
                with lock:
                    samples.append(time.perf_counter() - began)

        probe_stop, probed = threading.Event(), []
        probe = threading.Thread(target=lambda: probed.extend(self.system.bus_probe(probe_stop)))
        probe.start()
        cpu_before, wal_before = self.system.cpu(), self.system.wal()
        window = [datetime.now(timezone.utc)]
        threads = [threading.Thread(target=client, args=(key,)) for key in self.keys[:clients]]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        window.append(datetime.now(timezone.utc))
        probe_stop.set()
        probe.join()
        cpu_after, wal_after = self.system.cpu(), self.system.wal()
        ms = sorted(s * 1000 for s in samples)
        per_instance = {label: (cpu_after[label] - cpu_before.get(label, 0)) / (len(ms) / STEPS)
                        for label in cpu_after} if ms else {}
        wal = (f"{(wal_after[0] - wal_before[0]) / (len(ms) / STEPS) / 1024:.1f} ({wal_after[1]})"
               if ms and wal_before and wal_after and wal_before[1] == wal_after[1] else "n/a")
        return {"completions/s": len(ms) / elapsed, "p50": statistics.median(ms) if ms else 0,
                "p95": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))] if ms else 0,
                "cpu": per_instance, "wal": wal, "n": len(ms), "window": window,
                "probe": probed}

    def idle_bus(self, events: int = 30) -> tuple:
        """Instances started one at a time, 0.2 s apart (their events cross the bus while
        nothing else runs); the window and each request's (sent, answered) for
        `System.bus_latency`."""
        applicant = self.user(self.applicant)
        since, responses = datetime.now(timezone.utc), []
        for _ in range(events):
            sent = datetime.now(timezone.utc)
            self.create(self.keys[0], applicant)
            responses.append((sent, datetime.now(timezone.utc)))
            time.sleep(0.2)
        time.sleep(1)  # the last events' consumers
        return since, datetime.now(timezone.utc), responses

    def idle_cpu(self, seconds: float = 5) -> float:
        """CPU-seconds per second of the whole system at rest (bus relays polling, ...)."""
        before = sum(self.system.cpu().values())
        time.sleep(seconds)
        return (sum(self.system.cpu().values()) - before) / seconds


# --- pgbench --------------------------------------------------------------------------------

class PgBench:
    def __init__(self):
        from sqlalchemy.engine import make_url

        url = make_url(PG_ADMIN_URL)
        self.database = f"rencai_bench_pgbench_{uuid.uuid4().hex[:8]}"
        self.args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                     "-U", url.username or "root"]
        subprocess.run(["createdb", *self.args, self.database], check=True)
        subprocess.run(["pgbench", *self.args, "-i", "-q", "-s", "4", self.database], check=True,
                       capture_output=True)

    def run(self, seconds: int) -> float:
        done = subprocess.run(["pgbench", *self.args, "-N", "-c", "4", "-j", "2", "-T",
                               str(seconds), self.database], check=True, capture_output=True,
                              text=True)
        return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))

    def drop(self):
        subprocess.run(["dropdb", *self.args, "--force", self.database], capture_output=True)


# --- the run --------------------------------------------------------------------------------

def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def probe_figures(ms: list[float]) -> str:
    if not ms:
        return "n/a"
    lost = sum(1 for m in ms if m == float("inf"))
    return (f"p50 {statistics.median(ms):.0f} / p99 {ms[round(0.99 * (len(ms) - 1))]:.0f} ms "
            f"(n={len(ms)}{f', {lost} not handled in 10 s' if lost else ''})")


def report(label: str, system: System, bench: Bench, pgbench: PgBench) -> list[str]:
    rows = []
    statements = bench.statements()
    idle = bench.idle_cpu()
    count, rss, pss = system.memory()
    print(system.memory_by_label(), flush=True)
    print(f"{label}: bus, outbox row → consumer's effect committed, idle p50 / p99: "
          f"{system.bus_latency(*bench.idle_bus())}", flush=True)
    stop = threading.Event()
    threading.Timer(6, stop.set).start()
    print(f"{label}: bus, outbox COMMIT → consumer's effect committed (probe), idle "
          f"{probe_figures(system.bus_probe(stop))}", flush=True)
    for clients in (1, 4):
        tps = pgbench.run(PGBENCH_SECONDS)
        result = bench.run(clients, SECONDS)
        cpu = ", ".join(f"{k} {v:.3f}" for k, v in sorted(result["cpu"].items(), key=lambda i: -i[1])
                        if v >= 0.0005)
        rows.append(f"| {label} | {clients} | {result['completions/s']:.1f} | {result['p50']:.0f} | "
                    f"{result['p95']:.0f} | {sum(result['cpu'].values()):.3f} ({cpu}) | "
                    f"{statements['complete']:.1f} ({statements['complete in workflow']:.1f} in "
                    f"workflow) / {statements['list']:.1f} / "
                    f"{statements['create']:.1f} | {result['wal']} | "
                    f"{count} proc, {rss} / {pss} | {idle:.3f} | "
                    f"{tps:.0f} | {100 * result['completions/s'] / tps:.2f}% | {load()} |")
        print(rows[-1], flush=True)
        print(f"{label}: bus, outbox COMMIT → consumer's effect committed (probe), {clients} "
              f"client(s) {probe_figures(result['probe'])}", flush=True)
        time.sleep(2)  # the phase's last events reach their consumers
        print(f"{label}: bus, outbox row → consumer's effect committed, {clients} client(s) "
              f"p50 / p99: {system.bus_latency(*result['window'])}", flush=True)
    print(f"{label}: outbox row → published, p50 / p99: {system.relay_latency()}", flush=True)
    return rows


HEADER = ("| system | clients | completions/s | p50 ms | p95 ms | CPU-s per instance (by process) | "
          "statements per complete / list / create | WAL KiB per instance | "
          "memory of Rencai's processes (no stand-ins): count, RSS / PSS MiB | "
          "idle CPU-s/s | pgbench -N tps | ratio | load avg |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    # Every bench client comes from 127.0.0.1: the gateway's per-client limit (100 requests/s
    # by default) would otherwise be what is measured, and a 429 ends a client's loop.
    os.environ.setdefault("RENCAI_RATE_LIMIT", "100000")
    reason = _reachable()
    if reason:
        print(f"bench_stack skipped: {reason}")
        return
    print(f"load before: {load()}; {SECONDS:.0f} s per phase, pgbench -N -c 4 -T {PGBENCH_SECONDS}",
          flush=True)
    pgbench = PgBench()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stack, system = start_stack(Path(tmp) / "stack")
            try:
                rows += report("stack", system, Bench(system), pgbench)
            finally:
                stack.stop()
        with tempfile.TemporaryDirectory() as tmp:
            if "embedded" not in SYSTEMS:
                raise SystemExit("\n".join([HEADER, *rows]))
            process, system = start_embedded(Path(tmp) / "embedded")
            try:
                rows += report("embedded", system, Bench(system), pgbench)
            finally:
                process.terminate()
                process.wait(timeout=10)
    finally:
        pgbench.drop()
    print(HEADER)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
