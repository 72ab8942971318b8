"""申请计划项目 (seed 000, bpmn/plan_project.bpmn): the check its start form needs beyond its
JSON Schema (rencai:check="plan_project")."""
from __future__ import annotations

from services.common.errors import ValidationFailed

from ..hooks import Business, register

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


register(Business(name="plan_project", checks={"plan_project": plan_project}))
