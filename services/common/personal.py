"""A person's rights over what a service holds (PIPL arts. 45, 47), the parts every service
shares: rows turned into the JSON of its `GET /me/export` answer, and masking for records
kept after `POST /me/closure`. Each service decides which of its tables are about the caller
(its own `/me/export`) and what closure does to each (docs/personal-data.md)."""
from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect

# Never exported: they are not the person's data but how we find or protect it.
NOT_EXPORTED = {"password_hash", "token_hash", "code_hash", "poll_hash", "phone_index",
                "id_number_index", "totp_secret", "totp_last_step", "serialized",
                "stored_path", "open_person_id", "nonce", "code_verifier"}


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def as_record(row, omit: tuple[str, ...] = ()) -> dict:
    """A mapped row as a JSON-ready dict (encrypted columns come decrypted: the owner
    sees their own data whole), without lookup keys and secrets."""
    skip = NOT_EXPORTED | set(omit)
    return {attr.key: _plain(getattr(row, attr.key))
            for attr in inspect(row).mapper.column_attrs if attr.key not in skip}


def as_records(rows, omit: tuple[str, ...] = ()) -> list[dict]:
    return [as_record(row, omit) for row in rows]


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张**: what records kept after closure (and lists) show of a name."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


NAME_KEYS = ("name", "applicant_name", "real_name", "person_name")
NUMBER_KEYS = ("id_number", "phone", "mobile")


def masked_copy(data: dict | None) -> dict | None:
    """A record's JSON kept after closure: names masked, ID and phone numbers erased (top
    level and one level of nesting, where forms keep them)."""
    if not isinstance(data, dict):
        return data
    kept = {}
    for key, value in data.items():
        if key in NAME_KEYS and isinstance(value, str):
            kept[key] = mask_name(value)
        elif key in NUMBER_KEYS:
            kept[key] = None
        elif isinstance(value, dict):
            kept[key] = {k: (mask_name(v) if k in NAME_KEYS and isinstance(v, str)
                             else None if k in NUMBER_KEYS else v) for k, v in value.items()}
        else:
            kept[key] = value
    return kept
