"""Which of a gunicorn's worker processes runs the service's bus (services/common/worker.py):
one per service replica, none for the gateway; a dead bus worker's slot goes to the next
worker the master spawns, and a HUP's new workers take it from the old ones."""
from types import SimpleNamespace

from services.common.worker import add_bus_slots, assign_bus_slot, retire_workers


def master(app_extensions: dict, web_workers: int = 1) -> SimpleNamespace:
    app = SimpleNamespace(extensions=app_extensions)
    return SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app), WORKERS={},
                           cfg=SimpleNamespace(workers=web_workers), num_workers=web_workers)


def spawn(server, pid: int) -> SimpleNamespace:
    worker = SimpleNamespace()
    assign_bus_slot(server, worker)
    server.WORKERS[pid] = worker
    return worker


def test_a_service_runs_one_bus_worker_beside_its_web_workers(monkeypatch):
    monkeypatch.delenv("RENCAI_BUS_WORKERS", raising=False)
    server = master({"rencai.kit": object()}, web_workers=2)
    add_bus_slots(server)
    assert server.num_workers == 3
    workers = [spawn(server, pid) for pid in (11, 12, 13)]
    assert [w.bus_slot for w in workers] == [True, False, False]


def test_the_gateway_runs_no_bus_worker(monkeypatch):
    monkeypatch.delenv("RENCAI_BUS_WORKERS", raising=False)
    server = master({})
    add_bus_slots(server)
    assert server.num_workers == 1
    assert spawn(server, 11).bus_slot is False


def test_rencai_bus_workers_overrides(monkeypatch):
    monkeypatch.setenv("RENCAI_BUS_WORKERS", "0")
    server = master({"rencai.kit": object()})
    add_bus_slots(server)
    assert server.num_workers == 1 and spawn(server, 11).bus_slot is False


def test_the_next_worker_takes_a_dead_bus_workers_slot(monkeypatch):
    monkeypatch.delenv("RENCAI_BUS_WORKERS", raising=False)
    server = master({"rencai.kit": object()})
    add_bus_slots(server)
    assert spawn(server, 11).bus_slot and not spawn(server, 12).bus_slot
    del server.WORKERS[11]  # reaped
    assert spawn(server, 13).bus_slot is True
    assert spawn(server, 14).bus_slot is False


def test_after_a_hup_a_new_worker_takes_the_bus_slot(monkeypatch):
    monkeypatch.delenv("RENCAI_BUS_WORKERS", raising=False)
    server = master({"rencai.kit": object()})
    add_bus_slots(server)
    spawn(server, 11), spawn(server, 12)
    server.num_workers = server.cfg.workers  # HUP: gunicorn sets it from -w again
    add_bus_slots(server)
    retire_workers(server)
    assert server.num_workers == 2
    assert spawn(server, 13).bus_slot is True  # the old ones are stopped next
