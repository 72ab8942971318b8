"""The ID-photo crop step (裁切照片): the client sends the crop box in the pixels of the
uploaded photo (as shown upright); the server crops, scales to the type's standard size,
drops every piece of metadata (EXIF, GPS, ICC, comments) and re-encodes a JPEG under the
type's size limit. The cropped photo takes the uploaded one's place in the slot."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database
from services.common.errors import ValidationFailed

from ..model import MAX_IMAGE_PIXELS, AttachmentType, Attachment, describe_limit
from .attachments import Checked, Owner, own, owner_of, store
from ..storage import Storage

if TYPE_CHECKING:
    from PIL import Image

QUALITIES = (92, 85, 78, 70, 60, 50, 40)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field: message})


def _encode(image: Image.Image, max_bytes: int) -> bytes:
    for quality in QUALITIES:
        out = io.BytesIO()
        # A fresh RGB image carries no info: no EXIF, ICC profile or comment is written.
        image.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= max_bytes:
            return out.getvalue()
    raise _invalid("file", f"照片压缩后仍超过 {describe_limit(max_bytes)}，请换一张照片")


def crop(db: Database, outbox: Outbox, storage: Storage, claims: Claims, attachment_id: str,
         box: dict) -> Attachment:
    owner: Owner = owner_of(claims)
    with db.reading() as session:
        source = own(session, claims, attachment_id)
        type_ = session.get(AttachmentType, source.category)
    if type_ is None or not type_.photo_width or not source.content_type.startswith("image/"):
        raise _invalid("attachment_id", "该附件不是需要裁切的照片")
    stream, _size = storage.open(source.stored_path)
    with stream:
        data = stream.read()  # photos are small: their type limits them to a few MB
    # Pillow once a photo is cropped or an image uploaded (attachments.check_image): not in
    # the bus worker (docs/performance.md, "Lazy imports (helper memtrim, sixth session)").
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise _invalid("file", "图片像素过大")
        upright = ImageOps.exif_transpose(image).convert("RGB")
    x, y, width, height = box["x"], box["y"], box["width"], box["height"]
    errors = {}
    if x + width > upright.width:
        errors["width"] = f"裁切框超出照片宽度（{upright.width} 像素）"
    if y + height > upright.height:
        errors["height"] = f"裁切框超出照片高度（{upright.height} 像素）"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    target = (type_.photo_width, type_.photo_height)
    # Crop, then fit to the standard size (a box of a slightly different shape is centred).
    cropped = ImageOps.fit(upright.crop((x, y, x + width, y + height)), target,
                           Image.Resampling.LANCZOS)
    clean = Image.new("RGB", target)
    clean.paste(cropped)
    encoded = _encode(clean, type_.max_bytes)
    fd, tmp_name = tempfile.mkstemp(dir=storage.tmp_dir, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(encoded)
        out.flush()
        os.fsync(out.fileno())  # durable before the row says it is stored, as an upload
    checked = Checked(Path(tmp_name), len(encoded), hashlib.sha256(encoded).hexdigest(),
                      "image/jpeg")
    stem = source.display_name.rsplit(".", 1)[0] if "." in source.display_name \
        else source.display_name
    return store(db, outbox, storage, owner, type_, checked, f"{stem}.jpg",
                 source.original_name, replacing=source.id)
