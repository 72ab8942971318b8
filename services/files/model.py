"""files' tables and the rules about attachments that need no I/O.

  attachment_type       the catalogue (证件照, 身份证扫描件, ...): formats, size limit, one or
                        several files, hint, naming rule, standard photo size; admins edit it
  attachment            one uploaded file of an owner (a person, or a unit shared by its
                        accounts); `locked` once a submitted application references it
  instance_attachment   which attachments a workflow instance references (read model)
  instance_reviewer     which candidate groups hold (or held) a task of that instance
  org_name, person_unit orgs' names and who works where (read model, for the default
                        file name "XX单位-姓名-材料名称")
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text, false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import audit_tables
from services.common.bus import bus_tables
from services.common.idempotency import idempotency_table
from services.common.db import UtcDateTime, utcnow

MAX_NAME_CHARS = 200
# A PDF's trailer ends with %%EOF; readers look for it in the last 1024 bytes.
PDF_TAIL_BYTES = 1024
# Images larger than this many pixels are refused (decompression bombs): ~50 MP.
MAX_IMAGE_PIXELS = 50_000_000

# format key -> (content type, extension shown, label)
FORMATS = {
    "pdf": ("application/pdf", ".pdf", "PDF"),
    "jpg": ("image/jpeg", ".jpg", "JPG"),
    "png": ("image/png", ".png", "PNG"),
}
CONTENT_TYPE_FORMAT = {content_type: key for key, (content_type, _, _) in FORMATS.items()}
OWNER_KINDS = ("person", "unit")
NAMING_RULE = "XX单位-姓名-材料名称"


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata, denylist=True)  # + token_denylist (revoked tokens)
AUDIT = audit_tables(Base.metadata)  # audit_log + its chain head (services.common.audit)
IDEMPOTENCY = idempotency_table(Base.metadata)  # Idempotency-Key records


class AttachmentType(Base):
    __tablename__ = "attachment_type"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Which accounts have this slot on their attachment page: ["person"], ["unit"] or both.
    owner_kinds: Mapped[list] = mapped_column(JSON)
    formats: Mapped[list] = mapped_column(JSON)  # keys of FORMATS
    max_bytes: Mapped[int] = mapped_column(Integer)
    multiple: Mapped[bool] = mapped_column(Boolean, server_default=false())
    hint: Mapped[str] = mapped_column(Text, default="")
    naming_required: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Standard size of a photo type (crop step), in pixels; None for documents.
    photo_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    photo_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_kind: Mapped[str] = mapped_column(String(10), server_default="person")
    category: Mapped[str] = mapped_column(String(40))  # the attachment type's key
    display_name: Mapped[str] = mapped_column(String(MAX_NAME_CHARS))
    original_name: Mapped[str] = mapped_column(String(MAX_NAME_CHARS), server_default="")
    stored_path: Mapped[str] = mapped_column(String(120))  # the storage key
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Set once a submitted application references the file: it is evidence then.
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # A locked file the owner replaced in its slot: kept for the reviewers, off the page.
    replaced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InstanceAttachment(Base):
    __tablename__ = "instance_attachment"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attachment_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InstanceReviewer(Base):
    __tablename__ = "instance_reviewer"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    candidate_group: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OrgName(Base):
    __tablename__ = "org_name"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class PersonUnit(Base):
    __tablename__ = "person_unit"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))


# --- rules ----------------------------------------------------------------------------------

def sniff_content_type(head: bytes, tail: bytes) -> str | None:
    """The real type from magic bytes; the client's file name and Content-Type are not trusted."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return "application/pdf"
    return None


def stored_path_for(attachment_id: str) -> str:
    # Sharded so no directory grows to millions of entries; nothing user-chosen in the path.
    return f"{attachment_id[:2]}/{attachment_id[2:4]}/{attachment_id}"


def clean_display_name(filename: str | None) -> str:
    """The name as shown: last path part only, no control/format chars, at most 200 chars."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    name = name.lstrip(".").strip()  # no hidden files, no "..": what is left is a name
    if not name:
        return "未命名文件"
    if len(name) > MAX_NAME_CHARS:  # keep the extension, shorten the stem
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[:MAX_NAME_CHARS - len(ext)] + ext
    return name


def with_true_extension(name: str, content_type: str) -> str:
    """'证书.exe' stored as a PDF is shown as '证书.pdf': the extension follows the content."""
    fmt = CONTENT_TYPE_FORMAT[content_type]
    stem, dot, ext = name.rpartition(".")
    if dot and stem:
        if ext.lower() in (fmt, "jpeg" if fmt == "jpg" else fmt):
            return name
        name = stem
    return name[:MAX_NAME_CHARS - 4] + FORMATS[fmt][1]


_NAMING = re.compile(r"^[^-\s][^-]*-[^-\s][^-]*-[^-\s].*$")


def follows_naming_rule(name: str) -> bool:
    """'北京智能制造研究院-张三-诚信声明.pdf': unit, person and material, joined by '-'."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return bool(_NAMING.match(stem.strip()))


def default_name(unit_name: str | None, person_name: str | None, type_name: str) -> str:
    return f"{unit_name or 'XX单位'}-{person_name or '姓名'}-{type_name}"


def describe_limit(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024 and max_bytes % (1024 * 1024) == 0:
        return f"{max_bytes // (1024 * 1024)} MB"
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes / (1024 * 1024):.1f} MB"
    return f"{max_bytes // 1024} KB"


def formats_label(formats: list[str]) -> str:
    return "、".join(FORMATS[f][2] for f in formats if f in FORMATS)
