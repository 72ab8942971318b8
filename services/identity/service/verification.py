"""Graphic captchas (a Pillow image, single use, short-lived) and SMS codes (a sender
interface, rate limits per phone and per IP, expiry, single use, bounded attempts)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import random
import secrets
import uuid
from datetime import timedelta

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.errors import DomainError, Forbidden, NotFound, ValidationFailed
from services.common.pii import blind_index, mask

from .. import rules
from ..config import IdentityConfig
from ..model import Captcha, SmsCode, SmsMessage
from .accounts import by_phone
from .base import SmsSender, audit

log = logging.getLogger("rencai.identity.sms")

CAPTCHA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
SMS_PURPOSES = ("register", "login", "rebind", "unit_register")


class TooManyRequests(DomainError):
    status, code, title = 429, "too-many-requests", "请求过于频繁"


# --- graphic captcha ----------------------------------------------------------------------

def _draw(text: str) -> bytes:
    # Pillow only once a captcha is drawn: not in the processes that never draw one (the bus
    # worker; docs/performance.md, "Lazy imports (helper memtrim, sixth session)").
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(secrets.randbits(64))
    image = Image.new("RGB", (120, 44), (240, 244, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    for _ in range(6):
        draw.line([(rng.randint(0, 120), rng.randint(0, 44)),
                   (rng.randint(0, 120), rng.randint(0, 44))],
                  fill=(rng.randint(120, 200),) * 3, width=1)
    for index, char in enumerate(text):
        draw.text((10 + index * 26 + rng.randint(-3, 3), 6 + rng.randint(-4, 4)), char,
                  font=font, fill=(rng.randint(0, 90), rng.randint(0, 90), rng.randint(60, 150)))
    for _ in range(120):
        draw.point((rng.randint(0, 119), rng.randint(0, 43)), fill=(rng.randint(0, 255),) * 3)
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def new_captcha(db: Database, config: IdentityConfig) -> dict:
    answer = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(4))
    captcha = Captcha(id=str(uuid.uuid4()), answer=answer,
                      expires_at=utcnow() + timedelta(seconds=config.captcha_seconds))
    with db.transaction() as session:
        # Expired captchas are swept as new ones are made.
        session.execute(Captcha.__table__.delete().where(
            Captcha.expires_at < utcnow() - timedelta(hours=1)))
        session.add(captcha)
    png = _draw(answer)
    return {"captcha_id": captcha.id, "expires_in": config.captcha_seconds,
            "image": "data:image/png;base64," + base64.b64encode(png).decode()}


def captcha_png(db: Database, captcha_id: str) -> bytes:
    """The image again (the same answer), for an <img src>."""
    with db.reading() as session:
        captcha = session.get(Captcha, captcha_id)
    if captcha is None or captcha.used_at or captcha.expires_at < utcnow():
        raise NotFound("图形验证码不存在或已过期")
    return _draw(captcha.answer)


def check_captcha(db: Database, captcha_id: str | None, answer: str | None) -> None:
    """Spends the captcha (committed) whatever the answer: a second guess needs a new image."""
    if not captcha_id or not answer or not str(answer).strip():
        raise ValidationFailed("请输入图形验证码", {"captcha_code": "请输入图形验证码"})
    spent = ValidationFailed("图形验证码已失效，请刷新后重新输入",
                             {"captcha_code": "图形验证码已失效，请刷新后重新输入"})
    with db.transaction() as session:
        captcha = session.get(Captcha, str(captcha_id))
        if captcha is None or captcha.used_at is not None:
            raise spent
        claimed = session.execute(update(Captcha).where(Captcha.id == captcha.id,
                                                        Captcha.used_at.is_(None))
                                  .values(used_at=utcnow()))
        if claimed.rowcount != 1:
            raise spent
    if captcha.expires_at < utcnow():
        raise ValidationFailed("图形验证码已过期，请刷新后重新输入",
                               {"captcha_code": "图形验证码已过期，请刷新后重新输入"})
    # As bytes: compare_digest refuses non-ASCII text, and any answer may be typed.
    if not hmac.compare_digest(captcha.answer.upper().encode(),
                               str(answer).strip().upper().encode()):
        raise ValidationFailed("图形验证码错误", {"captcha_code": "图形验证码错误"})


# --- SMS senders --------------------------------------------------------------------------

class DevSmsSender:
    """Development: every message is kept in sms_message (GET /dev/sms shows them)."""

    dev = True

    def send(self, session: Session, phone: str, text: str) -> None:
        session.add(SmsMessage(id=str(uuid.uuid4()), phone=phone, phone_index=blind_index(phone),
                               text=text, created_at=utcnow()))
        # Never the text: it holds the code (logs are read by more people than GET /dev/sms).
        log.info("dev sms to %s kept for GET /dev/sms", phone[:3] + "****" + phone[-4:])


class HttpSmsSender:
    """Production: POSTs {phone, text} as JSON to the SMS gateway at `url`."""

    dev = False

    def __init__(self, url: str):
        self.url = url

    def send(self, session: Session, phone: str, text: str) -> None:
        try:
            response = requests.post(self.url, json={"phone": phone, "text": text}, timeout=5)
            response.raise_for_status()
        except requests.RequestException:
            log.exception("sms gateway failed")
            raise DomainError("短信发送失败，请稍后重试") from None


class NotConfigured(RuntimeError):
    """A deployment without a part it must have: identity refuses to start."""


def make_sender(config):
    """The HTTP gateway when configured; the development sender only when asked for
    (RENCAI_ENV=development). Anything else would let anyone read sign-in codes on /dev/sms."""
    if config.sms_url:
        return HttpSmsSender(config.sms_url)
    if config.development:
        return DevSmsSender()
    raise NotConfigured(
        "identity refuses to start: RENCAI_SMS_URL is not set. Set it to the SMS gateway "
        "(POST {phone, text}); the development sender (GET /dev/sms) is only for "
        "RENCAI_ENV=development. 未配置短信网关 RENCAI_SMS_URL，身份服务拒绝启动。")


class HttpNameCheck:
    """The authoritative source: POSTs {name, id_number}, expects {"match": true|false}.
    Unreachable is a 503 for the person, never a pass."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, name: str, id_number: str) -> bool:
        try:
            response = requests.post(self.url, json={"name": name, "id_number": id_number},
                                     timeout=5)
            response.raise_for_status()
            return response.json().get("match") is True
        except (requests.RequestException, ValueError, AttributeError):
            log.exception("name check failed")
            raise Unavailable("实名核验服务暂不可用，请稍后重试") from None


class Unavailable(DomainError):
    status, code, title = 503, "unavailable", "服务暂不可用"


def make_name_check(config):
    """name_matches(name, id_number): the configured authoritative source; in development
    only, GB 11643 alone (the format and check digit are checked before it is asked)."""
    if config.name_check_url:
        return HttpNameCheck(config.name_check_url)
    if config.development:
        return lambda _name, _number: True
    raise NotConfigured(
        "identity refuses to start: RENCAI_NAME_CHECK_URL is not set. A real-name check "
        "needs an authoritative source (POST {name, id_number} -> {match}); the check digit "
        "alone is accepted only with RENCAI_ENV=development. 未配置实名核验服务 "
        "RENCAI_NAME_CHECK_URL，身份服务拒绝启动。")


def dev_messages(db: Database, sender: SmsSender, phone: str) -> list[dict]:
    if not getattr(sender, "dev", False):
        raise NotFound("未找到")
    error = rules.phone_error(phone)
    if error:
        raise ValidationFailed(error, {"phone": error})
    with db.reading() as session:
        rows = session.scalars(select(SmsMessage).where(
            SmsMessage.phone_index == blind_index(phone))
            .order_by(SmsMessage.created_at.desc()).limit(20)).all()
    return [{"phone": row.phone, "text": row.text, "sent_at": row.created_at} for row in rows]


# --- SMS codes ----------------------------------------------------------------------------

def _code_hash(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


PURPOSE_TEXT = {"register": "注册账号", "login": "登录", "rebind": "身份证换绑",
                "unit_register": "单位注册或登录"}
# The rebind code reaches the holder of the binding: it says what it is for, and that not
# passing it on keeps their real-name binding where it is.
REBIND_TEXT = ("【北京市统一身份认证平台】有人申请将您账号已认证的身份证换绑到另一个账号，"
               "验证码 {code}，{minutes} 分钟内有效。如非本人操作，请勿将验证码告诉任何人，"
               "您的认证不受影响。")


def send_my_sms_code(db: Database, config: IdentityConfig, sender: SmsSender, ip: str,
                     claims: Claims, body: dict) -> dict:
    """换绑: the code goes to the phone of the account that HOLDS the ID number, never to the
    asker's own: a rebind proves control of that account (knowing a name and an ID number
    proves nothing). Without a phone there, only 人工申诉 remains."""
    from .registration import binding_holder  # registration imports this module

    if claims.kind != "person":
        raise Forbidden("仅个人账号可以换绑身份证")
    if (body.get("purpose") or "rebind") != "rebind":
        raise ValidationFailed("此处只能获取换绑身份证的验证码", {"purpose": "应为 rebind"})
    holder = binding_holder(db, claims, body)
    if not holder.phone:
        raise ValidationFailed("原认证账号未绑定手机号，无法短信验证，请通过人工申诉办理",
                               {"id_number": "原认证账号未绑定手机号，请通过人工申诉办理"})
    sent = send_sms_code(db, config, sender, ip, holder.phone, "rebind", body.get("captcha_id"),
                         body.get("captcha_code"), account_phone=holder.phone)
    with db.transaction() as session:
        audit(session, "person.rebind_code_sent", holder.id, claims.sub,
              requested_by=claims.sub)
    return {**sent, "phone": mask(holder.phone)}


def send_sms_code(db: Database, config: IdentityConfig, sender: SmsSender, ip: str,
                  phone: str | None, purpose: str, captcha_id: str | None,
                  captcha_code: str | None, account_phone: str | None = None) -> dict:
    """The captcha is checked first; then the phone's and the IP's limits; then one code."""
    error = rules.phone_error(phone)
    if error:
        raise ValidationFailed(error, {"phone": error})
    if purpose not in SMS_PURPOSES:
        raise ValidationFailed("验证码用途不正确", {"purpose": "应为 " + "、".join(SMS_PURPOSES)})
    now = utcnow()
    index = blind_index(phone)
    check_captcha(db, captcha_id, captcha_code)
    with db.transaction() as session:
        registered = by_phone(session, phone) is not None
        if purpose == "register" and registered:
            raise ValidationFailed("该手机号已被注册", {"phone": "该手机号已被注册，请直接登录"})
        if purpose == "login" and not registered:
            raise ValidationFailed("该手机号未注册", {"phone": "该手机号未注册，请先注册"})
        if purpose == "rebind" and account_phone is None:  # not signed in: nothing to prove
            raise ValidationFailed("换绑身份证的验证码请登录后获取",
                                   {"purpose": "换绑身份证的验证码请登录后获取"})
        if purpose == "rebind" and phone != account_phone:
            raise ValidationFailed("换绑验证码只发往原认证账号的手机号",
                                   {"phone": "换绑验证码只发往原认证账号的手机号"})
        last = session.scalar(select(func.max(SmsCode.created_at))
                              .where(SmsCode.phone_index == index, SmsCode.purpose == purpose))
        if last is not None and last > now - timedelta(seconds=config.sms_resend_seconds):
            wait = config.sms_resend_seconds - int((now - last).total_seconds())
            raise TooManyRequests(f"验证码发送过于频繁，请 {max(wait, 1)} 秒后再试",
                                  {"phone": f"请 {max(wait, 1)} 秒后再获取验证码"})
        today = session.scalar(select(func.count()).select_from(SmsCode).where(
            SmsCode.phone_index == index, SmsCode.created_at > now - timedelta(days=1)))
        if today >= config.sms_per_phone_per_day:
            raise TooManyRequests("该手机号今日获取验证码次数已达上限，请明天再试",
                                  {"phone": "今日获取验证码次数已达上限"})
        from_ip = session.scalar(select(func.count()).select_from(SmsCode).where(
            SmsCode.ip == ip, SmsCode.created_at > now - timedelta(hours=1)))
        if from_ip >= config.sms_per_ip_per_hour:
            raise TooManyRequests("获取验证码过于频繁，请 1 小时后再试")
        code = f"{secrets.randbelow(10 ** 6):06d}"
        row = SmsCode(id=str(uuid.uuid4()), phone_index=index, purpose=purpose, ip=ip,
                      created_at=now, attempts=0,
                      expires_at=now + timedelta(seconds=config.sms_code_seconds))
        row.code_hash = _code_hash(row.id, code)
        session.add(row)
        minutes = config.sms_code_seconds // 60
        text = REBIND_TEXT.format(code=code, minutes=minutes) if purpose == "rebind" else (
            f"【北京市统一身份认证平台】您的{PURPOSE_TEXT[purpose]}"
            f"验证码是 {code}，{minutes} 分钟内有效，请勿泄露给他人。")
        sender.send(session, phone, text)
    return {"sent": True, "expires_in": config.sms_code_seconds,
            "resend_after": config.sms_resend_seconds}


def check_sms_code(db: Database, config: IdentityConfig, phone: str, purpose: str, code: str | None,
                   field: str = "sms_code") -> None:
    """Spends the phone's latest code for `purpose` if `code` matches. A wrong guess counts
    against it (in its own transaction, so it sticks when the caller's fails)."""
    error = rules.sms_code_error(code)
    if error:
        raise ValidationFailed(error, {field: error})
    now = utcnow()
    with db.transaction() as session:
        row = session.scalars(select(SmsCode).where(
            SmsCode.phone_index == blind_index(phone), SmsCode.purpose == purpose)
            .order_by(SmsCode.created_at.desc())).first()
        if row is None or row.used_at is not None:
            message = "请先获取短信验证码" if row is None else "短信验证码已使用，请重新获取"
            raise ValidationFailed(message, {field: message})
        if row.expires_at < now:
            raise ValidationFailed("短信验证码已过期，请重新获取",
                                   {field: "短信验证码已过期，请重新获取"})
        if row.attempts >= config.sms_max_attempts:
            raise ValidationFailed("短信验证码错误次数过多，请重新获取",
                                   {field: "短信验证码错误次数过多，请重新获取"})
        if not hmac.compare_digest(row.code_hash, _code_hash(row.id, code)):
            row.attempts += 1
            wrong = True
        else:
            claimed = session.execute(update(SmsCode).where(SmsCode.id == row.id,
                                                            SmsCode.used_at.is_(None))
                                      .values(used_at=now))
            wrong = False
            if claimed.rowcount != 1:
                raise ValidationFailed("短信验证码已使用，请重新获取",
                                       {field: "短信验证码已使用，请重新获取"})
    if wrong:
        raise ValidationFailed("短信验证码错误", {field: "短信验证码错误"})
