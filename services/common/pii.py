"""Personal information (ID-card numbers, phone numbers) at rest and on screen. (Whether an
ID number is valid is each service's rule, checked by python-stdnum's cn.ric.)

Values are encrypted with AES-GCM under a key from configuration (RENCAI_PII_KEY or
RENCAI_PII_KEY_FILE, base64 of 32 bytes; embedded development generates one into var/keys/),
each sealed value naming its key (services.common.keyring). Equality lookups ("who has this
phone?") use a keyed HMAC blind index instead of the plaintext. Lists show masked values.

    python -m services.common.pii rotate SERVICE ...   re-seal under RENCAI_PII_KEY (the old
                                                       key in RENCAI_PII_KEY_OLD), rebuild
                                                       the blind indexes

    class Account(Base):
        phone: Mapped[str | None] = mapped_column(EncryptedString(200))
        phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import sys
from pathlib import Path

from sqlalchemy import JSON, MetaData, String, Text, select, type_coerce
from sqlalchemy.types import TypeDecorator

from .keyring import Keyring

_keyring: Keyring | None = None


def configure(key_b64: str | None, development_dir: Path | None = None,
              old_keys: str | None = None, legacy_file: Path | None = None) -> None:
    """Sets the process's PII keys. `development_dir` None (the stack): the key must be
    configured and real; otherwise a missing one is generated there (embedded development)."""
    global _keyring
    _keyring = Keyring.load("PII_KEY", current=key_b64, old=old_keys,
                            development_dir=development_dir, legacy_file=legacy_file)


def configure_for(settings) -> None:
    """The service's keys from its Settings (RENCAI_PII_KEY[_FILE], RENCAI_PII_KEY_OLD[_FILE])."""
    configure(settings.pii_key, settings.development_keys_dir, settings.pii_key_old,
              legacy_file=settings.var_dir / "pii.key")


def _require_keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("PII key not configured (services.common.pii.configure)")
    return _keyring


def encrypt(plaintext: str) -> str:
    return _require_keyring().seal(plaintext.encode())


def decrypt(token: str) -> str:
    return _require_keyring().open(token).decode()


def blind_index(value: str) -> str:
    """A stable keyed hash of a normalised value, for lookups without decrypting. Keyed by the
    current PII key: a rotation rebuilds every index (rotate)."""
    index_key = hashlib.sha256(b"rencai-blind-index" + _require_keyring().current).digest()
    return hmac.new(index_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator):
    """A string column stored encrypted; reads give the plaintext back."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return encrypt(value) if value is not None else None

    def process_result_value(self, value, dialect):
        return decrypt(value) if value is not None else None


def holds_personal_data(metadata: MetaData) -> bool:
    """Whether a service's tables seal anything (only those services need the PII key)."""
    return any(isinstance(column.type, EncryptedString)
               for table in metadata.tables.values() for column in table.columns)


# --- rotation --------------------------------------------------------------------------------

def rotate(db, metadata: MetaData) -> int:
    """Re-seals every sealed value of one service's database under the current key and
    rebuilds the blind indexes beside them; returns the number of rows changed. Sealed values:
    EncryptedString columns (their index: the `<column>_index` column of the same row) and,
    inside JSON documents (JSON columns, JSON text such as the engine's serialized state),
    every "<field>_sealed" (its index: "<field>_index" beside it). Run with the new key as
    RENCAI_PII_KEY and the old one in RENCAI_PII_KEY_OLD; afterwards the old key is no
    longer needed. Indexes stored without their value (an SMS code's phone, minutes-lived)
    cannot be rebuilt; other services' copies come from events (identity re-announces)."""
    keyring, changed = _require_keyring(), 0
    for table in metadata.sorted_tables:
        sealed = [c for c in table.columns if isinstance(c.type, EncryptedString)]
        documents = [c for c in table.columns if isinstance(c.type, (JSON, Text))]
        if not sealed and not documents:
            continue
        key = list(table.primary_key.columns)
        raw = [type_coerce(c, String).label(c.name) for c in sealed]
        with db.transaction() as session:
            for row in session.execute(select(*key, *raw, *documents)).mappings().all():
                values = {}
                for column in sealed:
                    token = row[column.name]
                    if token is None or keyring.is_current(token):
                        continue
                    plain = keyring.open(token).decode()
                    values[column.name] = plain  # EncryptedString seals it under the current key
                    if f"{column.name}_index" in table.columns:
                        values[f"{column.name}_index"] = blind_index(plain)
                for column in documents:
                    document = row[column.name]
                    as_text = isinstance(document, str)
                    if as_text:
                        if '_sealed"' not in document:
                            continue
                        try:
                            document = json.loads(document)
                        except ValueError:
                            continue
                    if _reseal(document, keyring):
                        values[column.name] = json.dumps(document, ensure_ascii=False) \
                            if as_text else document
                if values:
                    session.execute(table.update().where(
                        *(c == row[c.name] for c in key)).values(values))
                    changed += 1
    return changed


def _reseal(document, keyring: Keyring) -> bool:
    changed = False
    if isinstance(document, dict):
        for name, value in list(document.items()):
            if name.endswith("_sealed") and isinstance(value, str) and value:
                if keyring.is_current(value):
                    continue
                plain = keyring.open(value).decode()
                document[name] = encrypt(plain)
                index = name.removesuffix("_sealed") + "_index"
                if index in document:
                    document[index] = blind_index(plain)
                changed = True
            else:
                changed |= _reseal(value, keyring)
    elif isinstance(document, list):
        for item in document:
            changed |= _reseal(item, keyring)
    return changed


def _tool_settings(service: str):
    """A service's settings for the command, which may run for several services at once: its
    database is RENCAI_<SERVICE>_DATABASE_URL, else RENCAI_DATABASE_URL. The per-service name
    is computed, so the kit's loader reads it by name (config.variable), not as a field."""
    from .config import Settings, variable

    url = variable(f"{service.upper()}_DATABASE_URL")
    return Settings.from_env(service, **({"database_url": url} if url else {}))


def rotate_service(service: str) -> int:
    """The command's work for one service: its database (RENCAI_<SERVICE>_DATABASE_URL or
    RENCAI_DATABASE_URL), its tables, then the service's own after_pii_rotation(db) if it has
    one (identity re-announces the blind indexes other services keep)."""
    from .db import Database

    db = Database(_tool_settings(service).database_url)
    try:
        changed = rotate(db, importlib.import_module(f"services.{service}.model").Base.metadata)
        hook = getattr(importlib.import_module(f"services.{service}.service"),
                       "after_pii_rotation", None)
        if hook is not None:
            hook(db)
    finally:
        db.dispose()
    return changed


def mask(value: str | None) -> str | None:
    """Keeps the first 3 and last 4 characters: 110***********1234, 138****5678."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


if __name__ == "__main__":
    if sys.argv[1:2] != ["rotate"] or not sys.argv[2:]:
        sys.exit(__doc__)
    # As `python -m`, this file is __main__: the models use the imported module's key and type.
    from services.common import pii

    for name in sys.argv[2:]:
        pii.configure_for(pii._tool_settings(name))
        print(f"{name}: {pii.rotate_service(name)} rows re-sealed under key {pii._keyring.kid}")
