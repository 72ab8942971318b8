"""Server-side checks of form data that a JSON Schema cannot express, and the protection of
personal fields — chosen by a process's <process> attributes (settings.py):

  rencai:piiFields="id_number"   the field is validated (GB 11643 for *id_number), then kept
                                 only masked (110***********1234) with an AES-GCM sealed copy
                                 (<field>_sealed) and a keyed blind index (<field>_index) beside
                                 it: neither the instance's application nor the engine's
                                 serialized data ever holds the plain number.
  rencai:check="talent_demand"   a check a business registers (hooks.CHECKS) — admins' BPMN can
                                 only name a registered one.
"""
from __future__ import annotations

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from services.common.errors import ValidationFailed
from services.common.pii import blind_index, decrypt, encrypt, mask

from . import hooks


def id_number_problem(value: str) -> str | None:
    """GB 11643, checked by python-stdnum's cn.ric; None when `value` is a valid number."""
    try:
        ric.validate(value)
        return None
    except InvalidComponent:
        return "身份证号码中的出生日期或地区码不正确，请核对后重新输入"
    except InvalidChecksum:  # stdnum's word for any wrong last character, X included
        wrong_check = value[-1] in "0123456789X"
    except ValidationError:
        wrong_check = False
    return "身份证号码校验位不正确，请核对后重新输入" if wrong_check else \
        "身份证号码应为18位（最后一位可为X）"


def protect(fields: tuple[str, ...], data: dict, previous: dict | None = None) -> dict:
    """`data` with each personal field masked, sealed and indexed. A resubmission that leaves a
    field out (or sends back the masked value it was shown) keeps the previous one."""
    if not fields:
        return data
    data = dict(data)
    for field in fields:
        value = str(data.get(field) or "").strip().upper()
        if previous and previous.get(f"{field}_sealed") and \
                (not value or value == previous.get(field)):
            for key in (field, f"{field}_sealed", f"{field}_index"):
                data[key] = previous[key]
            continue
        if not value:
            continue
        if field.endswith("id_number") and (problem := id_number_problem(value)):
            raise ValidationFailed(problem, {field: problem})
        data[field] = mask(value)
        data[f"{field}_sealed"] = encrypt(value)
        data[f"{field}_index"] = blind_index(value)
    return data


def reveal(application: dict, field: str) -> str | None:
    """The plain value of a protected field (for staff who need it: the list reported to the
    city)."""
    sealed = application.get(f"{field}_sealed")
    return decrypt(sealed) if sealed else application.get(field)


# Checks are hooks of the businesses (hooks.py): rencai:check="talent_demand" names one that
# businesses/talent registers; an admin's BPMN can only name a registered one.
CHECKS = hooks.CHECKS


def run_check(name: str | None, data: dict, context: dict) -> dict:
    """rencai:check's hook (if any), then the attachment ids every form derives."""
    data = hooks.checks()[name](data, context) if name else data
    return with_attachment_ids(data)


def with_attachment_ids(data: dict) -> dict:
    """Every process's form names its files one way, `attachments: [{kind, file_id, name}]`;
    what files locks and reviewers open (attachment_ids) is derived from it, for all."""
    if not isinstance(data.get("attachments"), list):
        return data
    ids = [a["file_id"] for a in data["attachments"] if isinstance(a, dict) and a.get("file_id")]
    return {**data, "attachment_ids": list(dict.fromkeys(ids))}
