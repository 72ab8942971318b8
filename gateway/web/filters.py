"""Jinja filters: times in Beijing time, status badges in plain Chinese, masking."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))

# status value -> (Chinese, badge tone). Tones map to CSS classes of contrast AA.
STATUS = {
    "running": ("审核中", "info"), "pending": ("待审核", "warn"), "returned": ("退回修改", "warn"),
    "completed": ("已办结", "ok"), "approved": ("已通过", "ok"), "rejected": ("未通过", "bad"),
    "withdrawn": ("已撤回", "muted"), "draft": ("草稿", "muted"), "submitted": ("待审核", "warn"),
    "incident": ("办理异常", "bad"), "cancelled": ("已取消", "muted"), "unlinked": ("已解除", "muted"),
    "未上传": ("未上传", "muted"), "已上传": ("已上传", "ok"),
}
ACTIONS = {"submit": "提交申请", "approve": "通过", "reject": "不通过", "return": "退回修改",
           "resubmit": "重新提交", "withdraw": "撤回", "claim": "认领", "comment": "备注"}
LOGIN_METHODS = {"password": "账号密码", "sms": "短信验证码", "qr": "扫码", "oidc": "第三方账号",
                 "certificate": "数字证书", "registration": "注册", "register": "注册",
                 "refresh": "自动续期", "id_card": "身份证", "rebind": "换绑", "appeal": "人工申诉"}
# identity's audit actions, as 个人中心 shows them.
ACCOUNT_EVENTS = {
    "login.succeeded": "登录成功", "login.failed": "登录失败", "login.locked": "账号已锁定",
    "login.refused": "登录被拒绝", "logout": "退出登录", "password.changed": "修改密码",
    "person.registered": "注册账号", "person.verified": "实名认证成功",
    "person.verification_failed": "实名认证未通过", "person.verification_skipped": "暂不认证",
    "person.rebound": "换绑身份证", "person.binding_released": "身份证被换绑到其他账号",
    "profile.submitted": "提交个人信息", "appeal.filed": "提交人工申诉",
    "appeal.decided": "人工申诉已处理", "appeal.withdrawn": "撤回人工申诉",
    "external.linked": "关联第三方账号", "qr.scanned": "扫描登录二维码", "qr.confirmed": "确认扫码登录",
}


def when(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(BEIJING).strftime(fmt)


def status_label(value, title: str | None = None) -> str:
    return title or STATUS.get(value, (value or "", ""))[0]


def status_tone(value) -> str:
    return STATUS.get(value, ("", "info"))[1]


def filesize(value) -> str:
    if value is None:
        return ""
    value = int(value)
    if value >= 1024 * 1024:
        return f"{value / 1024 / 1024:.1f} MB"
    return f"{max(1, round(value / 1024))} KB"


def readable(message: str | None) -> str | None:
    """The API's detail when a person can read it; None when it names fields by their keys
    (e.g. "general.gender：请填写性别；..." — the list below says the same in words)."""
    if not message or re.search(r"[A-Za-z_]+[.:：]", message):
        return None
    return message


def register(app) -> None:
    app.jinja_env.filters.update(
        when=when, readable=readable, status_label=status_label, status_tone=status_tone, filesize=filesize,
        action_label=lambda a: ACTIONS.get(a, a), login_method=lambda m: LOGIN_METHODS.get(m, m),
        account_event=lambda a: ACCOUNT_EVENTS.get(a, a))
