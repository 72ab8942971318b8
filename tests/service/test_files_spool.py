"""A large upload is written once, as the multipart parser receives it, into the storage's
temp directory (services/files/spool.py): what is stored is byte for byte what was sent, its
sha256 is the one computed on the way, and no temp file outlives the request — taken or
refused."""
from __future__ import annotations

import errno
import hashlib
import io
import os

from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from services.files import spool
from services.files.model import Attachment, stored_path_for
from tests.service.test_files import PDF, assert_problem, post_file, stored_files
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401


def test_a_large_upload_is_spooled_hashed_and_stored_as_sent(client, settings, token, monkeypatch):
    spooled = []
    monkeypatch.setattr(spool.UploadSpool, "take", _recording(spool.UploadSpool.take, spooled))
    alice = token()
    # over werkzeug's 500 KB spool: a block of the writer thread and a rest
    body = PDF[:-6] + os.urandom(spool.BLOCK + 3 * 1024 * 1024 + 5) + PDF[-6:]
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


class _CountedInput:
    """The server's wsgi.input (read only, as gunicorn's), counting the reads made of it."""

    def __init__(self, data: bytes):
        self.source, self.reads = io.BytesIO(data), []
        self.tell, self.seek = self.source.tell, self.source.seek  # for the test client

    def read(self, size=-1):
        self.reads.append(size)
        return self.source.read(size)


def test_the_server_input_is_read_in_large_pieces(client, token):
    # gunicorn's wsgi.input reads ahead up to 1 MiB and copies what it keeps on every read:
    # read 64 KiB at a time (werkzeug's parser), each MiB was copied about 16 times.
    alice = token()
    body = PDF[:-6] + os.urandom(5 * 1024 * 1024 + 123) + PDF[-6:]
    boundary, data = encode_multipart({"category": "degree",
                                       "file": FileStorage(io.BytesIO(body), "学位.pdf")})
    server_input = _CountedInput(data)
    uploaded = client.post("/attachments", headers=alice, input_stream=server_input,
                           content_length=len(data),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    assert uploaded.get_json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert len(server_input.reads) <= len(data) // spool.READ_BUFFER + 2


def test_a_failed_write_fails_the_upload_and_leaves_nothing(client, app, settings, token,
                                                            monkeypatch):
    absorb = spool.UploadSpool._absorb
    blocks = []

    def disk_full_at_the_second_block(self, block):
        blocks.append(len(block))
        if len(blocks) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        absorb(self, block)

    monkeypatch.setattr(spool.UploadSpool, "_absorb", disk_full_at_the_second_block)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    alice = token()
    body = PDF[:-6] + os.urandom(2 * spool.BLOCK + 1024) + PDF[-6:]
    failed = post_file(client, alice, body, "学位.pdf", "degree")
    assert failed.status_code == 500
    assert len(blocks) == 2  # it stopped at the error, not at the end of the body
    assert stored_files(settings) == []
    with app.extensions["rencai.kit"].db.reading() as session:
        assert session.scalars(select(Attachment)).all() == []


def test_the_file_and_its_name_are_on_disk_before_the_row_is_written(client, app, token,
                                                                    monkeypatch):
    synced, fsync = [], os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino), fsync(fd)))
    db = app.extensions["rencai.kit"].db
    transaction = db.transaction

    def recording_transaction():
        synced.append("transaction")
        return transaction()

    monkeypatch.setattr(db, "transaction", recording_transaction)
    alice = token()
    body = PDF[:-6] + os.urandom(2 * 1024 * 1024) + PDF[-6:]
    uploaded = post_file(client, alice, body, "学位.pdf", "degree")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    stored = app.extensions["rencai.files"].storage.path(
        stored_path_for(uploaded.get_json()["id"]))
    before_the_row = synced[:synced.index("transaction")]
    assert stored.stat().st_ino in before_the_row  # the bytes
    assert stored.parent.stat().st_ino in before_the_row  # the name
