"""files over HTTP in-process: upload, list, view, delete, and what is refused."""
from __future__ import annotations

import io
import json
import struct
import time
import uuid
import zlib

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from services.common.auth import TokenVerifier
from services.common.config import Settings
from services.common.migrate import upgrade
from services.files import create_app
from services.files.model import BUS, Attachment

KID = "test-key"


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = make_png()


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def settings(tmp_path):
    settings = Settings.from_env("files", database_url=f"sqlite:///{tmp_path}/files.db",
                                 files_dir=tmp_path / "files")
    upgrade("files", settings.database_url)
    return settings


@pytest.fixture
def app(settings, signing_key):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    jwk.update(kid=KID, alg="RS256", use="sig")
    app = create_app(settings, verifier=TokenVerifier(lambda: {"keys": [jwk]}, "rencai-identity"))
    yield app
    app.extensions["rencai.kit"].db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(signing_key):
    def make(sub: str | None = None, name: str = "张三") -> dict:
        now = int(time.time())
        claims = {"iss": "rencai-identity", "aud": "rencai", "sub": sub or str(uuid.uuid4()),
                  "typ": "access", "kind": "person", "name": name, "org": None, "roles": [],
                  "iat": now, "exp": now + 600}
        encoded = jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": KID})
        return {"Authorization": f"Bearer {encoded}"}

    return make


def post_file(client, headers, body: bytes, name: str = "照片.png", category: str = "id_photo"):
    return client.post("/attachments", headers=headers, content_type="multipart/form-data",
                       data={"category": category, "file": (io.BytesIO(body), name)})


def assert_problem(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def published(app) -> list[dict]:
    with app.extensions["rencai.kit"].db.reading() as session:
        rows = session.scalars(select(BUS.outbox.c.envelope).order_by(BUS.outbox.c.seq)).all()
    return [json.loads(row) for row in rows]


def test_upload_list_view_and_delete(app, client, settings, token):
    alice = token()
    uploaded = post_file(client, alice, PNG, name="../../etc/证件\x00照.png")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    attachment = uploaded.get_json()
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG)
    assert attachment["display_name"] == "证件照.png"  # path parts and control chars gone
    assert attachment["locked"] is False

    listed = client.get("/attachments?page=1&per_page=10", headers=alice).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == attachment["id"]
    assert client.get(f"/attachments/{attachment['id']}", headers=alice).status_code == 200

    content = client.get(f"/attachments/{attachment['id']}/content", headers=alice)
    assert content.status_code == 200
    assert content.mimetype == "image/png"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    disposition = content.headers["Content-Disposition"]
    assert disposition.startswith("inline")
    assert "filename*=UTF-8''%E8%AF%81%E4%BB%B6%E7%85%A7.png" in disposition
    assert content.get_data() == PNG
    content.close()

    stored = [p for p in (settings.files_dir).rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == PNG  # and no temp file left

    deleted = client.delete(f"/attachments/{attachment['id']}", headers=alice)
    assert deleted.status_code == 204
    assert not stored[0].exists()
    assert client.get("/attachments", headers=alice).get_json()["total"] == 0
    assert_problem(client.get(f"/attachments/{attachment['id']}", headers=alice), 404)

    uploaded_event, deleted_event = published(app)
    assert uploaded_event["type"] == "files.attachment.uploaded"
    assert uploaded_event["data"] == {
        "attachment_id": attachment["id"], "owner_id": attachment_owner(alice),
        "category": "id_photo", "sha256": attachment["sha256"], "size": len(PNG)}
    assert deleted_event["type"] == "files.attachment.deleted"
    assert deleted_event["data"]["attachment_id"] == attachment["id"]


def attachment_owner(headers: dict) -> str:
    token = headers["Authorization"].split()[1]
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def test_pdf_and_jpeg_accepted_newest_first(client, token):
    alice = token()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"
    assert post_file(client, alice, pdf, "学位证.pdf", "degree").status_code == 201
    assert post_file(client, alice, jpeg, "photo.jpg").status_code == 201
    items = client.get("/attachments", headers=alice).get_json()["items"]
    assert [i["content_type"] for i in items] == ["image/jpeg", "application/pdf"]


def test_other_users_cannot_see_or_delete(client, token):
    alice, bob = token(), token(name="李四")
    attachment_id = post_file(client, alice, PNG).get_json()["id"]
    for response in (client.get(f"/attachments/{attachment_id}", headers=bob),
                     client.get(f"/attachments/{attachment_id}/content", headers=bob),
                     client.delete(f"/attachments/{attachment_id}", headers=bob)):
        assert assert_problem(response, 404)["detail"] == "附件不存在"
    assert client.get("/attachments", headers=bob).get_json()["total"] == 0
    assert client.get(f"/attachments/{attachment_id}", headers=alice).status_code == 200


@pytest.mark.parametrize("body", [
    b"MZ\x90\x00 this is an executable",        # wrong magic bytes
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",  # images we do not accept
    b"%PDF-1.4\n no trailer at all\n",            # truncated PDF
])
def test_wrong_format_is_refused(client, settings, token, body):
    problem = assert_problem(post_file(client, token(), body, "假装.png"), 422)
    assert problem["errors"]["file"] == "仅支持 PNG、JPEG 图片或 PDF 文件"
    assert not [p for p in settings.files_dir.rglob("*") if p.is_file()]  # temp file removed


def test_oversize_empty_and_missing_file(client, settings, token):
    alice = token()
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    problem = assert_problem(post_file(client, alice, big), 422)
    assert "10 MB" in problem["errors"]["file"]
    assert "errors" in assert_problem(post_file(client, alice, b""), 422)
    missing = client.post("/attachments", headers=alice, content_type="multipart/form-data",
                          data={"category": "id_photo"})
    assert "file" in assert_problem(missing, 422)["errors"]
    wrong_category = assert_problem(post_file(client, alice, PNG, category="资料"), 422)
    assert "category" in wrong_category["errors"]
    assert not [p for p in settings.files_dir.rglob("*") if p.is_file()]
    assert client.get("/attachments", headers=alice).get_json()["total"] == 0


def test_body_over_the_request_limit_is_a_problem(client, token):
    response = post_file(client, token(), PNG + b"\x00" * (21 * 1024 * 1024))
    assert_problem(response, 413)


def test_openapi_documents_the_multipart_upload(client):
    spec = client.get("/openapi.json").get_json()
    body = spec["paths"]["/attachments"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {"category", "file"}


def test_login_required(client):
    assert assert_problem(client.get("/attachments"), 401)["detail"] == "请先登录"
    assert_problem(post_file(client, {}, PNG), 401)


def test_locked_attachment_cannot_be_deleted(app, client, settings, token):
    alice = token()
    attachment_id = post_file(client, alice, PNG).get_json()["id"]
    with app.extensions["rencai.kit"].db.transaction() as session:
        session.execute(update(Attachment).where(Attachment.id == attachment_id)
                        .values(locked=True))
    problem = assert_problem(client.delete(f"/attachments/{attachment_id}", headers=alice), 409)
    assert problem["detail"] == "该附件已被提交的申请引用，不能删除"
    assert client.get(f"/attachments/{attachment_id}/content", headers=alice).status_code == 200
