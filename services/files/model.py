"""files' table and the rules about uploaded content that need no I/O."""
from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.bus import bus_tables
from services.common.db import UtcDateTime, utcnow

CATEGORIES = {"id_photo": "证件照", "degree": "学历学位证书", "other": "其他材料"}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 200
# A PDF's trailer ends with %%EOF; readers look for it in the last 1024 bytes.
PDF_TAIL_BYTES = 1024


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata)


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(30))
    display_name: Mapped[str] = mapped_column(String(MAX_NAME_CHARS))
    stored_path: Mapped[str] = mapped_column(String(120))  # relative to settings.files_dir
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Set once a submitted application references the file: it is evidence then.
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


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
    if name in ("", ".", ".."):
        return "未命名文件"
    if len(name) > MAX_NAME_CHARS:  # keep the extension, shorten the stem
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[:MAX_NAME_CHARS - len(ext)] + ext
    return name
