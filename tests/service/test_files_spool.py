"""A large upload is written once, as the multipart parser receives it, into the storage's
temp directory (services/files/spool.py): what is stored is byte for byte what was sent, its
sha256 is the one computed on the way, and no temp file outlives the request — taken or
refused."""
from __future__ import annotations

import hashlib
import os

from services.files import spool
from tests.service.test_files import PDF, assert_problem, post_file, stored_files
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401


def test_a_large_upload_is_spooled_hashed_and_stored_as_sent(client, settings, token, monkeypatch):
    spooled = []
    monkeypatch.setattr(spool.UploadSpool, "take", _recording(spool.UploadSpool.take, spooled))
    alice = token()
    body = PDF[:-6] + os.urandom(3 * 1024 * 1024) + PDF[-6:]  # over werkzeug's 500 KB spool
    uploaded = post_file(client, alice, body, "学位.pdf", "degree")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    attachment = uploaded.get_json()
    assert spooled == [len(body)]  # it went through the spool, not the copy
    assert attachment["size"] == len(body)
    assert attachment["sha256"] == hashlib.sha256(body).hexdigest()
    content = client.get(f"/attachments/{attachment['id']}/content", headers=alice)
    assert content.status_code == 200 and content.get_data() == body
    assert [p.name for p in stored_files(settings) if p.suffix == ".part"] == []


def test_a_refused_large_upload_leaves_no_temp_file(client, settings, token):
    alice = token()
    big = PDF + b"\x00" * (3 * 1024 * 1024)
    problem = assert_problem(post_file(client, alice, big, "执照.pdf", "business_licence"), 422)
    assert "category" in problem["errors"]  # refused before the upload is looked at
    too_big = PDF + b"\x00" * (3 * 1024 * 1024)
    problem = assert_problem(post_file(client, alice, too_big), 422)
    assert problem["errors"]["file"] == "文件大小不能超过 2 MB"  # the ID photo's limit
    assert stored_files(settings) == []


def _recording(take, spooled):
    def wrapper(self):
        taken = take(self)
        spooled.append(taken[1])
        return taken
    return wrapper
