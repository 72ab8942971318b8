"""Personal information (ID-card numbers, phone numbers) at rest and on screen, and the
GB 11643 rule every ID number obeys.

Values are encrypted with AES-GCM under a key from configuration (RENCAI_PII_KEY, base64 of
32 bytes; embedded mode keeps one in var/pii.key). Equality lookups ("who has this phone?")
use a keyed HMAC blind index instead of the plaintext. Lists show masked values.

    class Account(Base):
        phone: Mapped[str | None] = mapped_column(EncryptedString(200))
        phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_VERSION = "v1:"
_key: bytes | None = None


def configure(key_b64: str | None, var_dir: Path) -> None:
    """Sets the process's PII key: from configuration, or a generated one kept in var/."""
    global _key
    if key_b64:
        key = base64.b64decode(key_b64)
    else:
        key_file = var_dir / "pii.key"
        if not key_file.exists():
            var_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_bytes(base64.b64encode(AESGCM.generate_key(bit_length=256)))
            key_file.chmod(0o600)
        key = base64.b64decode(key_file.read_bytes())
    if len(key) != 32:
        raise ValueError("RENCAI_PII_KEY must be 32 bytes, base64-encoded")
    _key = key


def _require_key() -> bytes:
    if _key is None:
        raise RuntimeError("PII key not configured (services.common.pii.configure)")
    return _key


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_require_key()).encrypt(nonce, plaintext.encode(), None)
    return _VERSION + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    raw = base64.b64decode(token.removeprefix(_VERSION))
    return AESGCM(_require_key()).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str) -> str:
    """A stable keyed hash of a normalised value, for lookups without decrypting."""
    index_key = hashlib.sha256(b"rencai-blind-index" + _require_key()).digest()
    return hmac.new(index_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator):
    """A string column stored encrypted; reads give the plaintext back."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value) if value is not None else None

    def process_result_value(self, value, dialect):
        return decrypt(value) if value is not None else None


def mask(value: str | None) -> str | None:
    """Keeps the first 3 and last 4 characters: 110***********1234, 138****5678."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# --- resident ID numbers (GB 11643) ---------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The 18th character GB 11643 computes from the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """None for an 18-character resident ID number whose check character is right."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号码应为18位（最后一位可为X）"
    if id_check_character(value[:17]) != value[17]:
        return "身份证号码校验位不正确，请核对后重新输入"
    return None
