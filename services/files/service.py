"""files' use cases: upload, list, view and delete one's own attachments.

An upload is streamed to a temp file under files_dir (never held whole in memory), checked
while it streams (size, sha256, magic bytes), then moved into place in the same transaction
that writes its row, so a failure leaves neither a row nor a file behind.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, NotFound, ValidationFailed

from .model import (CATEGORIES, MAX_FILE_BYTES, PDF_TAIL_BYTES, Attachment, clean_display_name,
                    sniff_content_type, stored_path_for)

CHUNK_BYTES = 64 * 1024
WRONG_TYPE = "仅支持 PNG、JPEG 图片或 PDF 文件"
TOO_BIG = "文件大小不能超过 10 MB"


@dataclass(frozen=True)
class Content:
    path: Path
    content_type: str
    display_name: str


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"file": message})


def _copy_checked(stream: BinaryIO, out: BinaryIO) -> tuple[int, str, str]:
    """Copies chunk by chunk; returns (size, sha256 hex, content type) or raises."""
    size, digest, head, tail = 0, hashlib.sha256(), b"", b""
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _invalid(TOO_BIG)
        digest.update(chunk)
        if len(head) < 16:
            head = (head + chunk)[:16]
        tail = (tail + chunk)[-PDF_TAIL_BYTES:]
        out.write(chunk)
    if size == 0:
        raise _invalid("文件内容为空，请重新选择")
    content_type = sniff_content_type(head, tail)
    if content_type is None:
        raise _invalid(WRONG_TYPE)
    return size, digest.hexdigest(), content_type


def upload(db: Database, outbox: Outbox, settings: Settings, claims: Claims, category: str,
           filename: str | None, stream: BinaryIO) -> Attachment:
    if category not in CATEGORIES:
        raise ValidationFailed("附件类别不正确", {"category": "取值不在允许范围内"})
    files_dir = Path(settings.files_dir)
    # The temp dir sits on the same filesystem, so the final move is an atomic rename.
    tmp_dir = files_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    attachment_id = str(uuid.uuid4())
    final = files_dir / stored_path_for(attachment_id)
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            size, sha256, content_type = _copy_checked(stream, out)
        attachment = Attachment(id=attachment_id, owner_id=claims.sub, category=category,
                                display_name=clean_display_name(filename),
                                stored_path=stored_path_for(attachment_id),
                                content_type=content_type, size=size, sha256=sha256,
                                locked=False, created_at=utcnow())
        with db.transaction() as session:
            session.add(attachment)
            outbox.add(session, "files.attachment.uploaded", attachment_id,
                       {"attachment_id": attachment_id, "owner_id": claims.sub,
                        "category": category, "sha256": sha256, "size": size})
            session.flush()  # surface database errors before the file is put in place
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        final.unlink(missing_ok=True)  # moved, but the commit failed
        raise
    return attachment


def _own(session, claims: Claims, attachment_id: str) -> Attachment:
    # Someone else's attachment looks exactly like a missing one: ids are not confirmed.
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.owner_id != claims.sub:
        raise NotFound("附件不存在")
    return attachment


def list_mine(db: Database, claims: Claims, page: int, per_page: int) -> dict:
    with db.reading() as session:
        return paginate(session, select(Attachment).where(Attachment.owner_id == claims.sub)
                        .order_by(Attachment.created_at.desc(), Attachment.id), page, per_page)


def get(db: Database, claims: Claims, attachment_id: str) -> Attachment:
    with db.reading() as session:
        return _own(session, claims, attachment_id)


def open_content(db: Database, settings: Settings, claims: Claims, attachment_id: str) -> Content:
    attachment = get(db, claims, attachment_id)
    path = Path(settings.files_dir) / attachment.stored_path
    if not path.is_file():
        raise NotFound("附件文件不存在，请重新上传")
    return Content(path, attachment.content_type, attachment.display_name)


def delete(db: Database, outbox: Outbox, settings: Settings, claims: Claims,
           attachment_id: str) -> None:
    with db.transaction() as session:
        attachment = _own(session, claims, attachment_id)
        if attachment.locked:
            raise Conflict("该附件已被提交的申请引用，不能删除")
        session.delete(attachment)
        outbox.add(session, "files.attachment.deleted", attachment_id,
                   {"attachment_id": attachment_id, "owner_id": claims.sub})
        stored_path = attachment.stored_path
    # Only after the commit: a rolled-back delete must still have its file.
    (Path(settings.files_dir) / stored_path).unlink(missing_ok=True)
