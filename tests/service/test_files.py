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
from PIL import Image
from sqlalchemy import select, update

from services.common.auth import TokenVerifier
from services.common.config import Settings
from services.common.migrate import upgrade
from services.files import create_app
from services.files.config import FilesConfig
from services.files.model import BUS, Attachment

KID = "test-key"
UNIT_ID = "00000000-0000-4000-8000-000000000101"


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_jpeg(width: int = 40, height: int = 60, exif: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    out = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "TestCamera"  # Make
        extra["exif"] = data.tobytes()
    image.save(out, "JPEG", **extra)
    return out.getvalue()


PNG = make_png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def settings(tmp_path):
    settings = Settings.from_env("files", database_url=f"sqlite:///{tmp_path}/files.db",
                                 files_dir=tmp_path / "files", var_dir=tmp_path)
    upgrade("files", settings.database_url)
    return settings


@pytest.fixture
def files_config():
    return FilesConfig(storage="local", link_secret="test-link-secret", link_seconds=300)


@pytest.fixture
def app(settings, signing_key, files_config):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    jwk.update(kid=KID, alg="RS256", use="sig")
    app = create_app(settings, verifier=TokenVerifier(lambda: {"keys": [jwk]}, "rencai-identity"),
                     config=files_config)
    yield app
    app.extensions["rencai.kit"].db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(signing_key):
    def make(sub: str | None = None, name: str = "张三", kind: str = "person",
             org: str | None = None, roles: tuple = ()) -> dict:
        now = int(time.time())
        claims = {"iss": "rencai-identity", "aud": "rencai", "sub": sub or str(uuid.uuid4()),
                  "typ": "access", "kind": kind, "name": name, "org": org, "roles": list(roles),
                  "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}  # as identity's
        encoded = jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": KID})
        return {"Authorization": f"Bearer {encoded}"}

    return make


def post_file(client, headers, body: bytes, name: str = "照片.png", category: str = "id_photo",
              display_name: str | None = None):
    data = {"category": category, "file": (io.BytesIO(body), name)}
    if display_name is not None:
        data["display_name"] = display_name
    return client.post("/attachments", headers=headers, content_type="multipart/form-data",
                       data=data)


def assert_problem(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def published(app) -> list[dict]:
    with app.extensions["rencai.kit"].db.reading() as session:
        rows = session.scalars(select(BUS.outbox.c.envelope).order_by(BUS.outbox.c.seq)).all()
    return [json.loads(row) for row in rows]


def stored_files(settings) -> list:
    return [p for p in settings.files_dir.rglob("*") if p.is_file()]


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
        "owner_kind": "person", "category": "id_photo", "name": attachment["display_name"],
        "sha256": attachment["sha256"], "size": len(PNG)}
    assert deleted_event["type"] == "files.attachment.deleted"
    assert deleted_event["data"]["attachment_id"] == attachment["id"]


def attachment_owner(headers: dict) -> str:
    token = headers["Authorization"].split()[1]
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def test_pdf_and_jpeg_accepted_newest_first(client, token):
    alice = token()
    assert post_file(client, alice, PDF, "学位证.pdf", "degree").status_code == 201
    assert post_file(client, alice, make_jpeg(), "photo.jpg").status_code == 201
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
    b"MZ\x90\x00 this is an executable",        # a renamed .exe
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",  # images we do not accept
    b"%PDF-1.4\n no trailer at all\n",            # truncated PDF
])
def test_wrong_format_is_refused(client, settings, token, body):
    problem = assert_problem(post_file(client, token(), body, "假装.pdf", "degree"), 422)
    assert problem["errors"]["file"] == "学历学位证书仅支持 PDF、JPG、PNG 格式的文件"
    assert not stored_files(settings)  # temp file removed


def test_format_must_be_one_the_type_allows(client, settings, token):
    # the ID photo is an image; a (real) PDF is refused with the formats it takes
    problem = assert_problem(post_file(client, token(), PDF, "证件照.pdf"), 422)
    assert problem["errors"]["file"] == "证件照仅支持 JPG、PNG 格式的文件"
    assert not stored_files(settings)


def png_bomb(width: int = 10000, height: int = 6000) -> bytes:
    """~60 KB that decode to 60 million pixels: a decompression bomb (above our limit of 50
    million, below Pillow's own warning threshold, so the check is ours)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    compressor = zlib.compressobj(9)
    rows = (b"\x00" + b"\x00" * width) * 100
    idat = b"".join(compressor.compress(rows) for _ in range(height // 100)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_png_bomb_and_broken_image_are_refused(client, settings, token):
    alice = token()
    bomb = png_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    problem = assert_problem(post_file(client, alice, bomb, "bomb.png"), 422)
    assert "像素过大" in problem["errors"]["file"]
    broken = PNG[:20] + b"\x00" * 40  # PNG magic, garbage after it
    problem = assert_problem(post_file(client, alice, broken, "broken.png"), 422)
    assert "无法打开" in problem["errors"]["file"]
    assert not stored_files(settings)


def test_oversize_empty_and_missing_file(client, settings, token):
    alice = token()
    big = PNG + b"\x00" * (2 * 1024 * 1024)
    problem = assert_problem(post_file(client, alice, big), 422)
    assert problem["errors"]["file"] == "文件大小不能超过 2 MB"  # the ID photo's limit
    big_pdf = PDF + b"\x00" * (10 * 1024 * 1024)
    problem = assert_problem(post_file(client, alice, big_pdf, "学位.pdf", "degree"), 422)
    assert problem["errors"]["file"] == "文件大小不能超过 10 MB"
    empty = assert_problem(post_file(client, alice, b""), 422)
    assert empty["errors"]["file"] == "文件内容为空，请重新选择"
    missing = client.post("/attachments", headers=alice, content_type="multipart/form-data",
                          data={"category": "id_photo"})
    assert "file" in assert_problem(missing, 422)["errors"]
    wrong_category = assert_problem(post_file(client, alice, PNG, category="资料"), 422)
    assert "category" in wrong_category["errors"]
    unit_only = assert_problem(post_file(client, alice, PDF, "执照.pdf", "business_licence"), 422)
    assert "category" in unit_only["errors"]
    assert not stored_files(settings)
    assert client.get("/attachments", headers=alice).get_json()["total"] == 0


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..", "未命名文件.pdf"),
    ("学位\u202e证.pdf", "学位证.pdf"),        # right-to-left override
    ("setup.exe", "setup.pdf"),               # a real PDF named .exe: shown as what it is
    ("学位证.PDF", "学位证.PDF"),
])
def test_names_are_sanitised_and_keep_the_true_extension(client, settings, token, name, shown):
    uploaded = post_file(client, token(), PDF, name, "degree")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    assert uploaded.get_json()["display_name"] == shown
    for path in stored_files(settings):  # nothing the client chose reaches the file system
        assert path.resolve().is_relative_to(settings.files_dir.resolve())
        assert "passwd" not in path.name and ".." not in path.parts


def test_backslash_paths_are_cut_too():
    from services.files.model import clean_display_name

    assert clean_display_name("..\\..\\windows\\学位证.pdf") == "学位证.pdf"
    assert clean_display_name("/etc/.hidden") == "hidden"
    assert clean_display_name("\x00\x1f") == "未命名文件"


def test_single_slot_is_replaced_multiple_slot_grows(client, settings, token):
    alice = token()
    first = post_file(client, alice, PNG).get_json()
    second = post_file(client, alice, make_jpeg(), "新照片.jpg").get_json()
    assert_problem(client.get(f"/attachments/{first['id']}", headers=alice), 404)
    assert client.get("/attachments?category=id_photo", headers=alice).get_json()["total"] == 1
    for _ in range(2):
        post_file(client, alice, PDF, "学位.pdf", "degree")
    assert client.get("/attachments?category=degree", headers=alice).get_json()["total"] == 2
    assert len(stored_files(settings)) == 3
    assert second["display_name"] == "新照片.jpg"


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
