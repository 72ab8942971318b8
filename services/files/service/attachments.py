"""files' use cases on attachments: upload, list, view, delete (the catalogue is in
catalogue.py, who may view and the workflow read model in access.py, the crop in photo.py).

An upload is streamed to a temp file (never held whole in memory), checked while it streams
(size against its type's limit, sha256, magic bytes), then checked as a whole (Pillow opens
images without exceeding a pixel limit), put into storage and only then recorded: if the
record cannot be written the object is deleted again, so a failure leaves neither a row nor
a file behind (and storage.sweep removes what a crash in between left).
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from services.common import audit
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, paginate, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from ..model import (CONTENT_TYPE_FORMAT, MAX_IMAGE_PIXELS, NAMING_RULE, PDF_TAIL_BYTES,
                    Attachment, AttachmentType, clean_display_name,
                    describe_limit, follows_naming_rule, formats_label, sniff_content_type,
                    stored_path_for, with_true_extension)
from ..spool import UploadSpool
from ..storage import CHUNK_BYTES, Storage

log = logging.getLogger("rencai.files")

NOT_FOUND = "附件不存在"
LOCKED = "该附件已被提交的申请引用，不能删除"


@dataclass(frozen=True)
class Owner:
    """Whose attachment page: a person's own, or a unit's (shared by its accounts)."""

    kind: str
    id: str


def owner_of(claims: Claims) -> Owner:
    if claims.kind == "person":
        return Owner("person", claims.sub)
    if claims.kind == "unit" and claims.org:
        return Owner("unit", claims.org)
    raise Forbidden("仅个人或单位账号可以管理附件")


def owns(claims: Claims, attachment: Attachment) -> bool:
    try:
        owner = owner_of(claims)
    except Forbidden:
        return False
    return attachment.owner_kind == owner.kind and attachment.owner_id == owner.id


def _invalid(message: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(message, {field: message})


# --- checking what arrives ------------------------------------------------------------------

@dataclass(frozen=True)
class Checked:
    path: Path
    size: int
    sha256: str
    content_type: str


def _copy_checked(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> tuple[int, str, bytes, bytes]:
    """Copies chunk by chunk, stopping as soon as the limit is passed."""
    size, digest, head, tail = 0, hashlib.sha256(), b"", b""
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _invalid(f"文件大小不能超过 {describe_limit(max_bytes)}")
        digest.update(chunk)
        if len(head) < 16:
            head = (head + chunk)[:16]
        tail = (tail + chunk)[-PDF_TAIL_BYTES:]
        out.write(chunk)
    return size, digest.hexdigest(), head, tail


def check_image(path: Path) -> tuple[int, int]:
    """Pillow must open it as the format it claims, within the pixel limit."""
    from PIL import Image  # on an image's upload only: not in the bus worker

    too_big = f"图片像素过大（不能超过 {MAX_IMAGE_PIXELS // 10000} 万像素），请缩小后重新上传"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG", "JPEG"]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _invalid(too_big)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(too_big)
    except ValidationFailed:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure means a broken image
        raise _invalid("图片文件已损坏或格式不正确，无法打开")
    return width, height


def receive(storage: Storage, stream: BinaryIO, type_: AttachmentType) -> Checked:
    """Streams the upload to a temp file and checks it against its type; the caller owns
    the temp file (and removes it on failure)."""
    spooled = isinstance(stream, UploadSpool) and stream.path.parent == Path(storage.tmp_dir)
    if spooled:
        # Already written and hashed where it should be, as the parser received it (spool.py).
        path, size, sha256, head, tail = stream.take()
    else:
        fd, tmp_name = tempfile.mkstemp(dir=storage.tmp_dir, suffix=".part")
        path = Path(tmp_name)
    try:
        if not spooled:
            with os.fdopen(fd, "wb") as out:
                size, sha256, head, tail = _copy_checked(stream, out, type_.max_bytes)
                out.flush()
                os.fsync(out.fileno())  # durable before the row says it is stored
        elif size > type_.max_bytes:
            raise _invalid(f"文件大小不能超过 {describe_limit(type_.max_bytes)}")
        if size == 0:
            raise _invalid("文件内容为空，请重新选择")
        content_type = sniff_content_type(head, tail)
        allowed = formats_label(type_.formats)
        if content_type is None or CONTENT_TYPE_FORMAT[content_type] not in type_.formats:
            raise _invalid(f"{type_.name}仅支持 {allowed} 格式的文件")
        if content_type.startswith("image/"):
            check_image(path)
        return Checked(path, size, sha256, content_type)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def active_type(session, key: str, owner: Owner) -> AttachmentType:
    type_ = session.get(AttachmentType, key)
    if type_ is None or not type_.active or owner.kind not in type_.owner_kinds:
        raise _invalid("附件类型不存在或不适用于当前账号", "category")
    return type_


def _current(session, owner: Owner, category: str) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(
        Attachment.owner_kind == owner.kind, Attachment.owner_id == owner.id,
        Attachment.category == category, Attachment.replaced_at.is_(None))))


# --- use cases ------------------------------------------------------------------------------

def upload(db: Database, outbox: Outbox, storage: Storage, claims: Claims, category: str,
           filename: str | None, stream: BinaryIO, display_name: str | None = None) -> Attachment:
    owner = owner_of(claims)
    with db.reading() as session:
        type_ = active_type(session, category, owner)
    original = clean_display_name(filename)
    name = clean_display_name(display_name) if display_name else original
    if type_.naming_required and not follows_naming_rule(name):
        raise _invalid(f"文件名应为“{NAMING_RULE}”格式，如：北京智能制造研究院-张三-{type_.name}",
                       "display_name")
    checked = receive(storage, stream, type_)
    return store(db, outbox, storage, owner, type_, checked,
                 with_true_extension(name, checked.content_type), original)


def store(db: Database, outbox: Outbox, storage: Storage, owner: Owner, type_: AttachmentType,
          checked: Checked, display_name: str, original_name: str,
          replacing: str | None = None) -> Attachment:
    """Puts a checked temp file into storage and records it. A single-file slot keeps one
    current file: the one it had is deleted, or, if an application references it, kept
    for the reviewers and taken off the page."""
    attachment_id = str(uuid.uuid4())
    key = stored_path_for(attachment_id)
    try:
        storage.put(key, checked.path)
    except BaseException:
        checked.path.unlink(missing_ok=True)
        raise
    removed: list[str] = []
    try:
        with db.transaction() as session:
            now = utcnow()
            olds = _current(session, owner, type_.key) if not type_.multiple else []
            if replacing:
                olds = [a for a in _current(session, owner, type_.key) if a.id == replacing]
            if olds:
                for old in olds:
                    if old.locked:
                        old.replaced_at = now
                    else:
                        removed.append(old.stored_path)
                        session.delete(old)
                        outbox.add(session, "files.attachment.deleted", old.id,
                                   {"attachment_id": old.id, "owner_id": owner.id})
            attachment = Attachment(
                id=attachment_id, owner_id=owner.id, owner_kind=owner.kind, category=type_.key,
                display_name=display_name, original_name=original_name, stored_path=key,
                content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                locked=False, replaced_at=None, created_at=now)
            session.add(attachment)
            audit.record(session, "attachment.uploaded", "attachment", attachment_id,
                         subject_id=owner.id, after={
                             "category": type_.key, "name": display_name, "size": checked.size,
                             "sha256": checked.sha256, "replaced": [old.id for old in olds]})
            outbox.add(session, "files.attachment.uploaded", attachment_id,
                       {"attachment_id": attachment_id, "owner_id": owner.id,
                        "owner_kind": owner.kind, "category": type_.key,
                        "name": display_name, "sha256": checked.sha256,
                        "size": checked.size})
    except BaseException:
        _delete_quietly(storage, key)  # stored, but the record was not written
        raise
    for old_key in removed:  # only after the commit: a rolled-back upload keeps the old file
        _delete_quietly(storage, old_key)
    return attachment


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # noqa: BLE001 - the sweep removes it later
        log.exception("could not delete %s; the sweep will", key)


def list_mine(db: Database, claims: Claims, page: int, per_page: int,
              category: str | None = None) -> dict:
    owner = owner_of(claims)
    with db.reading() as session:
        query = select(Attachment).where(Attachment.owner_kind == owner.kind,
                                         Attachment.owner_id == owner.id,
                                         Attachment.replaced_at.is_(None))
        if category:
            query = query.where(Attachment.category == category)
        return paginate(session, query.order_by(Attachment.created_at.desc(), Attachment.id),
                        page, per_page)


def own(session, claims: Claims, attachment_id: str) -> Attachment:
    # Someone else's attachment looks exactly like a missing one: ids are not confirmed.
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not owns(claims, attachment):
        raise NotFound(NOT_FOUND)
    return attachment


def delete(db: Database, outbox: Outbox, storage: Storage, claims: Claims,
           attachment_id: str) -> None:
    with db.transaction() as session:
        attachment = own(session, claims, attachment_id)
        if attachment.locked:
            raise Conflict(LOCKED, {"attachment_id":
                                    "该附件是已提交的业务申请的材料，审核期间需保持不变"})
        audit.record(session, "attachment.deleted", "attachment", attachment_id,
                     subject_id=attachment.owner_id, claims=claims,
                     before={"category": attachment.category, "name": attachment.display_name,
                             "sha256": attachment.sha256})
        session.delete(attachment)
        outbox.add(session, "files.attachment.deleted", attachment_id,
                   {"attachment_id": attachment_id, "owner_id": attachment.owner_id})
        key = attachment.stored_path
    _delete_quietly(storage, key)  # only after the commit


def sweep(db: Database, storage: Storage, grace_seconds: float = 3600) -> int:
    """Removes objects without a record and temp files, older than the grace period (left
    by a process that died between the put and the commit). Returns how many."""
    removed = 0
    for key in list(storage.keys_older_than(grace_seconds)):
        with db.reading() as session:
            known = session.scalar(select(Attachment.id).where(Attachment.stored_path == key))
        if not known:
            storage.delete(key)
            removed += 1
    cutoff = utcnow().timestamp() - grace_seconds
    for part in Path(storage.tmp_dir).glob("*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed
