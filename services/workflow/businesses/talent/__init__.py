"""人才引进 (seed 003, bpmn/talent_demand.bpmn and business_permission.bpmn): the check of
需求申报's attachments (rencai:check="talent_demand") and its own pages, the declarations list
and its export (service.py, api.py)."""
from __future__ import annotations

from services.common.errors import ValidationFailed

from ...hooks import Business, register
from .api import pages

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


register(Business(name="talent_demand", checks={"talent_demand": talent_demand},
                  permissions={"talent_intro": "人才引进"}, blueprints=(pages,),
                  # what the unit goes on to once 人才引进 is granted: 个人信息填报
                  permission_refusals={
                      "pending": "业务权限正在审核中，审核通过后方可进入个人信息填报"}))
