"""Storage backends: local disk and S3-compatible (a real moto server on a free port), and
that an interrupted upload leaves no record and no orphan that is not cleaned."""
from __future__ import annotations

import io
import socket

import pytest
from sqlalchemy import select

from services.files import create_app
from services.files.config import FilesConfig
from services.files.model import Attachment, AttachmentType
from services.files.service import Owner, receive, store, sweep
from services.files.storage import LocalStorage, S3Storage

from tests.service.test_files import PDF, assert_problem, post_file, stored_files
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_config(s3_server, request):
    return FilesConfig(storage="s3", s3_endpoint_url=s3_server,
                       s3_bucket=f"rencai-test-{request.node.name[-20:].lower().replace('_', '-')}",
                       s3_access_key="testing", s3_secret_key="testing",
                       link_secret="s3-link-secret")


@pytest.fixture
def s3_app(settings, signing_key, s3_config, app):
    verifier = app.extensions["rencai.verifier"]
    s3 = create_app(settings, verifier=verifier, config=s3_config)
    yield s3
    s3.extensions["rencai.kit"].db.dispose()


def bucket_keys(storage: S3Storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    return [obj["Key"] for obj in listed.get("Contents", [])]


def test_s3_upload_view_link_and_delete(s3_app, settings, token):
    client = s3_app.test_client()
    storage = s3_app.extensions["rencai.files"].storage
    assert isinstance(storage, S3Storage)
    alice = token()
    uploaded = post_file(client, alice, PDF, "学位证.pdf", "degree")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    attachment = uploaded.get_json()
    assert bucket_keys(storage) == [f"{attachment['id'][:2]}/{attachment['id'][2:4]}/"
                                    f"{attachment['id']}"]
    assert not stored_files(settings)  # no temp file and nothing on local disk
    content = client.get(f"/attachments/{attachment['id']}/content", headers=alice)
    assert content.status_code == 200 and content.get_data() == PDF
    assert content.headers["Content-Length"] == str(len(PDF))
    link = client.post(f"/attachments/{attachment['id']}/links", headers=alice).get_json()
    assert client.get(link["url"].removeprefix("/api/files")).get_data() == PDF
    assert client.delete(f"/attachments/{attachment['id']}", headers=alice).status_code == 204
    assert bucket_keys(storage) == []


def test_content_is_served_by_send_file_in_parts_from_disk_and_whole_from_s3(client, s3_app,
                                                                             token):
    # werkzeug's send_file: the Chinese name as filename* (RFC 5987); Range and a conditional
    # GET answered for a file on disk; an S3 object streamed whole whatever was asked.
    alice = token()
    ranged = {**alice, "Range": "bytes=0-3"}
    on_disk = post_file(client, alice, PDF, "学位证.pdf", "degree").get_json()
    part = client.get(f"/attachments/{on_disk['id']}/content", headers=ranged)
    assert part.status_code == 206 and part.get_data() == PDF[:4]
    assert part.headers["Content-Range"] == f"bytes 0-3/{len(PDF)}"
    assert part.headers["Content-Disposition"] == \
        "inline; filename=.pdf; filename*=UTF-8''%E5%AD%A6%E4%BD%8D%E8%AF%81.pdf"
    etag = part.headers["ETag"]
    again = client.get(f"/attachments/{on_disk['id']}/content",
                       headers={**alice, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    s3 = s3_app.test_client()
    in_s3 = post_file(s3, alice, PDF, "学位证.pdf", "degree").get_json()
    whole = s3.get(f"/attachments/{in_s3['id']}/content", headers=ranged)
    assert whole.status_code == 200 and whole.get_data() == PDF
    assert whole.headers["Content-Disposition"] == part.headers["Content-Disposition"]


def test_s3_record_failure_removes_the_object(s3_app, token, monkeypatch):
    client = s3_app.test_client()
    storage = s3_app.extensions["rencai.files"].storage
    outbox = s3_app.extensions["rencai.kit"].outbox

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "add", broken)
    response = post_file(client, token(), PDF, "学位证.pdf", "degree")
    assert_problem(response, 500)
    assert bucket_keys(storage) == []
    with s3_app.extensions["rencai.kit"].db.reading() as session:
        assert session.scalars(select(Attachment)).all() == []


def test_s3_sweep_removes_orphans_only(s3_app, token):
    client = s3_app.test_client()
    storage = s3_app.extensions["rencai.files"].storage
    kept = post_file(client, token(), PDF, "学位证.pdf", "degree").get_json()
    orphan = storage.tmp_dir / "orphan.part"
    orphan.write_bytes(PDF)
    storage.put("ab/cd/abcd-left-by-a-crash", orphan)  # stored, then the process died
    db = s3_app.extensions["rencai.kit"].db
    assert sweep(db, storage, grace_seconds=3600) == 0  # too young: maybe still in flight
    assert sweep(db, storage, grace_seconds=-1) == 1
    assert bucket_keys(storage) == [
        f"{kept['id'][:2]}/{kept['id'][2:4]}/{kept['id']}"]


class _Interrupted(io.RawIOBase):
    """A client that goes away halfway through the upload."""

    def __init__(self):
        self.sent = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.sent > 256 * 1024:
            raise ConnectionResetError("client went away")
        buffer[:len(buffer)] = b"%" * len(buffer)
        self.sent += len(buffer)
        return len(buffer)


def test_interrupted_upload_leaves_nothing(app, settings):
    storage = app.extensions["rencai.files"].storage
    db = app.extensions["rencai.kit"].db
    with db.reading() as session:
        degree = session.get(AttachmentType, "degree")
    with pytest.raises(ConnectionResetError):
        receive(storage, io.BufferedReader(_Interrupted()), degree)
    assert not stored_files(settings)
    with db.reading() as session:
        assert session.scalars(select(Attachment)).all() == []


def test_local_record_failure_and_sweep(app, settings, monkeypatch):
    storage = app.extensions["rencai.files"].storage
    assert isinstance(storage, LocalStorage)
    db, outbox = app.extensions["rencai.kit"].db, app.extensions["rencai.kit"].outbox
    with db.reading() as session:
        degree = session.get(AttachmentType, "degree")
    checked = receive(storage, io.BytesIO(PDF), degree)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(outbox, "add", broken)
    with pytest.raises(RuntimeError):
        store(db, outbox, storage, Owner("person", "p1"), degree, checked, "a.pdf", "a.pdf")
    assert not stored_files(settings)
    # what a crash between the put and the commit leaves: an object without a row, a temp file
    (settings.files_dir / "ab" / "cd").mkdir(parents=True)
    (settings.files_dir / "ab" / "cd" / "abcd").write_bytes(PDF)
    (storage.tmp_dir / "x.part").write_bytes(PDF)
    assert sweep(db, storage, grace_seconds=-1) == 2
    assert not stored_files(settings)
