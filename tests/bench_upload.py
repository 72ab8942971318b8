"""`make bench` (upload part): a 100 MB file uploaded through the stack's gateway (gunicorn
gateway → gunicorn files → local disk), against `dd ... conv=fdatasync` on the same disk in
the same run, and how much the gateway's and files' processes grow while it passes.

    .venv/bin/python -m tests.bench_upload            # BENCH_UPLOAD_MB=100 BENCH_UPLOAD_ROUNDS=3

Targets (issue 16): ≥ 50 % of dd, RSS growth < 30 MB. Skipped when PostgreSQL or RabbitMQ is
unreachable. A benchmark, not a test: nothing here fails on a number.
"""
from __future__ import annotations

import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tests.bench_stack import children
from tests.stack.conftest import Stack, _reachable
from tests.support import Gateway

MB = int(os.environ.get("BENCH_UPLOAD_MB", "100"))
ROUNDS = int(os.environ.get("BENCH_UPLOAD_ROUNDS", "3"))
# What the PDF holds: "random" (default) is like its compressed streams; "zeros" (ASCII "0"s,
# as before) makes the multipart parser's boundary search (bytes.find) slow or fast by the luck
# of the random boundary: 0.01-0.2 s per 100 MiB, the spread of earlier runs.
FILL = os.environ.get("BENCH_UPLOAD_FILL", "random")
CHUNK = 1024 * 1024


class MultipartPdf:
    """A multipart/form-data body with one MB-sized PDF, generated while read (never whole
    in memory); its length is known, so requests sends Content-Length."""

    def __init__(self, size: int, category: str):
        self.boundary = uuid.uuid4().hex
        head = (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\n"
                f"{category}\r\n--{self.boundary}\r\nContent-Disposition: form-data; "
                f"name=\"file\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
        self.parts = [head.encode() + b"%PDF-1.4\n", None,
                      f"\ntrailer<<>>\n%%EOF\n\r\n--{self.boundary}--\r\n".encode()]
        self.filler = size - 9 - len(b"\ntrailer<<>>\n%%EOF\n")
        self.length = len(self.parts[0]) + self.filler + len(self.parts[2])
        self.block = b"0" * CHUNK if FILL == "zeros" else random.Random(16).randbytes(CHUNK)

    def __len__(self):
        return self.length

    def __iter__(self):
        yield self.parts[0]
        left = self.filler
        while left > 0:
            yield self.block[:min(left, CHUNK)]
            left -= CHUNK
        yield self.parts[2]

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"


class _Reader:
    """File-like over MultipartPdf (requests streams a file-like with __len__); http.client
    reads it 8 KiB at a time, so no copying of what is left."""

    def __init__(self, body: MultipartPdf):
        self.body, self.parts = body, iter(body)
        self.part, self.offset = b"", 0

    def __len__(self):
        return len(self.body)

    def read(self, size: int = -1) -> bytes:
        if self.offset >= len(self.part):
            self.part, self.offset = next(self.parts, b""), 0
        size = len(self.part) - self.offset if size < 0 else size
        out = self.part[self.offset:self.offset + size]
        self.offset += len(out)
        return out


def status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def dd(directory: Path) -> float:
    """MiB/s of `dd if=/dev/zero bs=1M count=MB conv=fdatasync` into `directory`."""
    target = directory / "dd.bin"
    done = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={MB}",
                           "conv=fdatasync"], capture_output=True, text=True, check=True)
    target.unlink()
    seconds = float(re.search(r"copied, ([\d.]+) s", done.stderr).group(1))
    return MB / seconds


def main() -> None:
    reason = _reachable()
    if reason:
        print(f"bench_upload skipped: {reason}")
        return
    limit = MB + 20

    class UploadStack(Stack):
        def env(self, **extra):
            return super().env(RENCAI_FILES_MAX_BODY_MB=str(limit),
                               RENCAI_GATEWAY_MAX_BODY_MB=str(limit), **extra)

    with tempfile.TemporaryDirectory() as tmp:
        stack = UploadStack(Path(tmp))
        try:
            stack.start()
            engine = create_engine(stack.urls["files"])
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO attachment_type (key, name, owner_kinds, formats, max_bytes,"
                    " multiple, hint, naming_required, sort_order, active, updated_at) VALUES"
                    " ('bench_archive', '大文件', '[\"person\"]', '[\"pdf\"]', :max, true, '',"
                    " false, 999, true, now())"), {"max": (MB + 10) * 1024 * 1024})
            engine.dispose()
            token = Gateway.over_http(stack.base_url).login("zhangsan").token
            processes = {label: process.pid for label, process in stack.processes
                         if label in ("gateway", "files")}
            pids = {label: [pid, *children(pid)] for label, pid in processes.items()}
            before = {label: sum(status_kib(p, "VmRSS") for p in ps) for label, ps in pids.items()}
            session = requests.Session()
            speeds, disk = [], []
            for _ in range(ROUNDS):
                disk.append(dd(Path(tmp) / "files"))
                body = MultipartPdf(MB * 1024 * 1024, "bench_archive")
                started = time.perf_counter()
                reply = session.post(stack.base_url + "/api/files/attachments", data=_Reader(body),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": body.content_type}, timeout=300)
                elapsed = time.perf_counter() - started
                assert reply.status_code == 201, reply.text[:500]
                speeds.append(MB / elapsed)
            peak = {label: sum(status_kib(p, "VmHWM") for p in ps) for label, ps in pids.items()}
            after = {label: sum(status_kib(p, "VmRSS") for p in ps) for label, ps in pids.items()}
        finally:
            stack.stop()
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print(f"\n{MB} MB upload ({FILL} content) through the stack's gateway, {ROUNDS} rounds, "
          f"load {load}")
    print("| figure | median | best |\n|---|---|---|")
    print(f"| upload MiB/s | {statistics.median(speeds):.0f} | {max(speeds):.0f} |")
    print(f"| dd bs=1M conv=fdatasync MiB/s, same disk | {statistics.median(disk):.0f} | "
          f"{max(disk):.0f} |")
    print(f"| upload / dd | {100 * statistics.median(speeds) / statistics.median(disk):.0f} % | |")
    for label in processes:
        print(f"| {label}: RSS before → after (peak of its processes' high-water marks) MiB | "
              f"{before[label] / 1024:.0f} → {after[label] / 1024:.0f} "
              f"({peak[label] / 1024:.0f}) | |")


if __name__ == "__main__":
    main()
