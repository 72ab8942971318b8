"""A large upload through the real stack (client → gunicorn gateway → gunicorn files → local
disk): what is stored is byte for byte what was sent, under the sha256 computed on the way,
and an upload cut off half way leaves neither a row nor a file (services/files/spool.py)."""
from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid

import requests

from tests.support import PDF

MB = 1024 * 1024


def _mine(person) -> list[str]:
    reply = person.get("/api/files/attachments?per_page=100")
    assert reply.status == 200, reply
    return [item["id"] for item in reply.body["items"]]


def _files(stack) -> set:
    return {path for path in (stack.tmp / "files").rglob("*") if path.is_file()}


def test_a_large_upload_is_stored_as_sent(stack, gateway):
    person = gateway.login("zhangsan")
    auth = {"Authorization": f"Bearer {person.token}"}
    body = PDF[:-6] + os.urandom(9 * MB + 7) + PDF[-6:]  # blocks of the spool and a rest
    reply = requests.post(f"{stack.base_url}/api/files/attachments", headers=auth,
                          data={"category": "degree"},
                          files={"file": ("学位证书.pdf", body, "application/pdf")}, timeout=60)
    assert reply.status_code == 201, reply.text[:500]
    attachment = reply.json()
    try:
        assert attachment["size"] == len(body)
        assert attachment["sha256"] == hashlib.sha256(body).hexdigest()
        content = requests.get(
            f"{stack.base_url}/api/files/attachments/{attachment['id']}/content",
            headers=auth, timeout=60)
        assert content.status_code == 200 and content.content == body
    finally:
        requests.delete(f"{stack.base_url}/api/files/attachments/{attachment['id']}",
                        headers=auth, timeout=30)


def test_an_upload_cut_off_half_way_leaves_no_row_and_no_file(stack, gateway):
    person = gateway.login("zhangsan")
    rows, stored = _mine(person), _files(stack)
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\n"
            f"degree\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"cut.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + PDF
    length = len(head) + 8 * MB + len(f"\r\n--{boundary}--\r\n")
    request = (f"POST /api/files/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {person.token}\r\nContent-Length: {length}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode()
    spools = stack.tmp / "files" / "tmp"
    with socket.create_connection(("127.0.0.1", stack.ports["gateway"]), timeout=30) as client:
        client.sendall(request + head + os.urandom(3 * MB))
        deadline = time.monotonic() + 30
        while not list(spools.glob("*.part")):  # files is writing the upload: cut it off now
            assert time.monotonic() < deadline, "the upload never reached files"
            time.sleep(0.05)
    deadline = time.monotonic() + 30
    while _files(stack) != stored:
        assert time.monotonic() < deadline, sorted(map(str, _files(stack) - stored))
        time.sleep(0.1)
    assert _mine(person) == rows
