"""`make bench` (files part): upload and view throughput and peak memory for a 100 MB file
through the in-process gateway (embedded system: gateway -> files app, local disk storage;
then the S3 backend against a moto server on a free port, when moto is installed).

Peak memory is the Python heap's high-water mark during the request (tracemalloc, a
separate run so it does not slow the timed one), and the process's maximum resident set so
far (the whole embedded system). The S3 rows talk to a moto server in its own process. A benchmark, not a test: nothing here fails on a number.
"""
from __future__ import annotations

import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SIZE_MB = 100
ROUNDS = 3


class PdfOfSize(io.RawIOBase):
    """A valid-looking PDF of `size` bytes, generated while read (never whole in memory)."""

    def __init__(self, size: int):
        self.head, self.tail = b"%PDF-1.4\n", b"\ntrailer<<>>\n%%EOF\n"
        self.size, self.pos = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        chunk = bytearray(b"0" * n)
        for offset, part in ((0, self.head), (self.size - len(self.tail), self.tail)):
            lo, hi = max(offset, self.pos), min(offset + len(part), self.pos + n)
            if lo < hi:
                chunk[lo - self.pos:hi - self.pos] = part[lo - offset:hi - offset]
        buffer[:n] = chunk
        self.pos += n
        return n


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _system(var: Path, files_config):
    from gateway.app import create_gateway
    from gateway.backends import InProcessBackend
    from gateway.embedded import EmbeddedSystem
    from services.files import FilesRuntime
    from services.files.model import AttachmentType
    from services.files.storage import make_storage

    system = EmbeddedSystem(var)
    system.seed_demo()
    system.settle()
    files_app = system.apps["files"]
    limit = (SIZE_MB + 20) * 1024 * 1024
    files_app.config["MAX_CONTENT_LENGTH"] = limit
    files_app.extensions["rencai.files"] = FilesRuntime(
        files_config, make_storage(files_config, system.settings["files"].files_dir),
        "bench-link-secret")
    with system.kit("files").db.transaction() as session:
        session.merge(AttachmentType(
            key="bench_archive", name="大文件", owner_kinds=["person"], formats=["pdf"],
            max_bytes=limit, multiple=True, hint="", naming_required=False, sort_order=999,
            active=True))
    gateway = create_gateway({name: InProcessBackend(name, app)
                              for name, app in system.apps.items()},
                             system.verifier, max_body_bytes=limit)
    return system, gateway


def _upload(client, token: str) -> str:
    reply = client.post("/api/files/attachments", content_type="multipart/form-data",
                        headers={"Authorization": f"Bearer {token}"},
                        data={"category": "bench_archive",
                              "file": (io.BufferedReader(PdfOfSize(SIZE_MB * 1024 * 1024)),
                                       "大文件.pdf")})
    assert reply.status_code == 201, reply.get_data(as_text=True)[:300]
    return reply.get_json()["id"]


def _view(client, token: str, attachment_id: str) -> int:
    reply = client.get(f"/api/files/attachments/{attachment_id}/content",
                       headers={"Authorization": f"Bearer {token}"}, buffered=False)
    size = sum(len(chunk) for chunk in reply.response)
    reply.close()
    return size


def measure(label: str, files_config) -> list[str]:
    from tests.support import Gateway

    rows = []
    with tempfile.TemporaryDirectory() as var:
        system, gateway = _system(Path(var), files_config)
        try:
            token = Gateway.in_process(system).login("zhangsan").token
            client = gateway.test_client()
            rows.append(f"| {label} | (system started, nothing uploaded) | | | | | "
                        f"{_rss_mb():.0f} |")
            last_id = None
            for step in ("upload", "view"):
                timings = []
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    if step == "upload":
                        last_id = _upload(client, token)
                    else:
                        assert _view(client, token, last_id) == SIZE_MB * 1024 * 1024
                    timings.append(time.perf_counter() - started)
                tracemalloc.start()
                if step == "upload":
                    last_id = _upload(client, token)
                else:
                    _view(client, token, last_id)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                best = min(timings)
                rows.append(f"| {label} | {step} | {SIZE_MB} | {best:.2f} | "
                            f"{SIZE_MB / best:.0f} | {peak / 2**20:.1f} | "
                            f"{_rss_mb():.0f} |")
        finally:
            system.close()
    return rows


def main() -> None:
    from services.files.config import FilesConfig

    limit = (SIZE_MB + 20) * 1024 * 1024
    print(f"| storage | step (through the gateway, in-process) | MB | best of {ROUNDS} s | "
          "MB/s | peak Python heap MB | process max RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for row in measure("local disk", FilesConfig(max_body_bytes=limit)):
        print(row, flush=True)
    try:
        import moto.server  # noqa: F401
    except ImportError:
        print("| S3 (moto) | skipped: moto is not installed | | | | | |")
        return
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Its own process, so the figures are ours, not those of a server keeping objects in memory.
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        config = FilesConfig(storage="s3", s3_endpoint_url=f"http://127.0.0.1:{port}",
                             s3_bucket="rencai-bench", s3_access_key="bench",
                             s3_secret_key="bench", max_body_bytes=limit)
        for row in measure("S3 (moto server process)", config):
            print(row, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
