"""Server-side checks of form data that a JSON Schema cannot express, and the protection of
personal fields — chosen by a process's <process> attributes (engine.process_settings):

  rencai:piiFields="id_number"   the field is validated (GB 11643 for *id_number), then kept
                                 only masked (110***********1234) with an AES-GCM sealed copy
                                 (<field>_sealed) and a keyed blind index (<field>_index) beside
                                 it: neither the instance's application nor the engine's
                                 serialized data ever holds the plain number.
  rencai:check="talent_demand"   a registered check (CHECKS) — admins' BPMN can only name one.
"""
from __future__ import annotations

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from services.common.errors import ValidationFailed
from services.common.pii import blind_index, decrypt, encrypt, mask


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


# --- registered checks ---------------------------------------------------------------------

# 需求申报 (seed 003): the attachments every declaration needs, by the files catalogue's keys.
REQUIRED_MATERIALS = {"social_insurance": "社会保险个人权益记录", "integrity_statement": "诚信声明"}
SUPPORTING_MATERIALS = ("patent_certificate", "capital_verification", "other")


def talent_demand(data: dict, context: dict) -> dict:
    """Every declaration carries the social-insurance record (2020-01 to now), the signed and
    sealed integrity statement and at least one supporting material for the chosen
    introduction basis; every file is named "XX单位-姓名-材料名称" (this unit, this person).
    The files and their names are those files holds (context["files"]: {id: entry with
    owner_id and name}, workflow's read model), not what the client says; the declaration
    keeps the true names. Sets attachment_ids (what files locks) from the attachments."""
    errors: dict[str, str] = {}
    attachments = []
    for i, attachment in enumerate(data.get("attachments") or []):
        held = context["files"].get(attachment.get("file_id"))
        if held is None or held.owner_id != context["owner_id"]:
            errors[f"attachments.{i}.file_id"] = \
                "附件不存在或不属于本单位，请重新上传（刚上传的附件请稍候再提交）"
        attachments.append({**attachment, "name": held.name if held else attachment.get("name")})
    kinds = {a.get("kind") for a in attachments}
    for kind, title in REQUIRED_MATERIALS.items():
        if kind not in kinds:
            errors[f"attachments.{kind}"] = f"请上传《{title}》"
    if not kinds & set(SUPPORTING_MATERIALS):
        errors["attachments.supporting"] = "请上传所选“引进依据及条件”需要佐证的材料"
    prefix = f"{context.get('unit_name') or ''}-{str(data.get('name') or '').strip()}-"
    for i, attachment in enumerate(attachments):
        name = str(attachment.get("name") or "")
        stem = name.rsplit(".", 1)[0]
        if not name.startswith(prefix) or len(stem) <= len(prefix):
            errors[f"attachments.{i}.name"] = \
                f"附件“{name}”应按“{prefix}材料名称”格式命名（XX单位-姓名-材料名称）"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    return {**data, "attachments": attachments,
            "attachment_ids": [a["file_id"] for a in attachments]}


# 申请计划项目 (seed 000): 专业工作主要经历（附件）, by slot (the start form's attachment kinds).
PLAN_MATERIALS = {"education_certificate": "请上传学历学位证书",
                  "work_proof": "请至少上传一份工作经历证明"}


def plan_project(data: dict, context: dict) -> dict:
    """The main professional work experience comes with its evidence: the education
    certificate (学历学位证书) and at least one work proof (工作经历证明); achievements and
    other materials are optional. Sets attachment_ids (what files locks) from the
    attachments."""
    attachments = data.get("attachments") or []
    kinds = {a.get("kind") for a in attachments}
    errors = {f"attachments.{kind}": message for kind, message in PLAN_MATERIALS.items()
              if kind not in kinds}
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    return {**data, "attachment_ids": list(dict.fromkeys(a["file_id"] for a in attachments))}


CHECKS = {"talent_demand": talent_demand, "plan_project": plan_project}


def run_check(name: str | None, data: dict, context: dict) -> dict:
    data = CHECKS[name](data, context) if name else data
    return with_attachment_ids(data)


def with_attachment_ids(data: dict) -> dict:
    """Every process's form names its files one way, `attachments: [{kind, file_id, name}]`;
    what files locks and reviewers open (attachment_ids) is derived from it, for all."""
    if not isinstance(data.get("attachments"), list):
        return data
    ids = [a["file_id"] for a in data["attachments"] if isinstance(a, dict) and a.get("file_id")]
    return {**data, "attachment_ids": list(dict.fromkeys(ids))}
