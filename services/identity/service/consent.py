"""Separate consents (PIPL arts. 14, 29): the wording a person is shown, served so pages show
exactly it, and each consent kept with that wording, its version and the time."""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.common.errors import NotFound, ValidationFailed

from ..model import Consent
from .base import audit

# Change the version with the wording: a consent given to an older text is not this one.
NOTICES = {
    "id-number": {
        "purpose": "id-number",
        "version": "2026-11",
        "title": "个人敏感信息处理告知（居民身份证号码）",
        "text": (
            "您的居民身份证号码属于敏感个人信息。为核验您的真实身份（实名认证），本平台将处理"
            "您填写的姓名和身份证号码：与权威数据源比对，加密保存，仅向您本人完整显示，"
            "向办理您业务的审核人员按需显示，其他场合一律脱敏。未经您另行同意，不向第三方提供，"
            "不用于其他目的。保存至您注销账号；注销后依法需要留存的业务记录中姓名脱敏、"
            "身份证号码删除。您可以在个人中心查询、导出您的个人信息或注销账号。"
            "不同意将无法完成实名认证，但不影响您使用无需实名的功能。"),
    },
}


def notice(purpose: str) -> dict:
    if purpose not in NOTICES:
        raise NotFound("没有这项告知")
    return NOTICES[purpose]


def require(body: dict, purpose: str) -> dict:
    """The notice the person agreed to with `body` ({consent: true, consent_version}), or
    a 422 naming the field."""
    current = NOTICES[purpose]
    if body.get("consent") is not True:
        raise ValidationFailed(f"请阅读并同意《{current['title']}》",
                               {"consent": f"请阅读并勾选同意《{current['title']}》"})
    version = body.get("consent_version")
    if version is not None and version != current["version"]:
        raise ValidationFailed("告知内容已更新，请重新阅读并同意",
                               {"consent_version": "告知内容已更新，请重新阅读并同意"})
    return current


def record(session: Session, ip: str, account_id: str, given: dict) -> None:
    session.add(Consent(id=str(uuid.uuid4()), account_id=account_id, purpose=given["purpose"],
                        version=given["version"], text=given["text"], agreed_at=utcnow(),
                        ip=ip))
    audit(session, "consent.given", account_id, purpose=given["purpose"],
          version=given["version"])
