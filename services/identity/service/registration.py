"""Person registration in three steps (注册账号 → 实名认证 → 完成), the real-name check
(GB 11643), and what happens when the ID number is bound elsewhere: 换绑 and 人工申诉."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.config import Settings
from services.common.db import Database, paginate, utcnow
from services.common.effects import Effects
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.common.pii import blind_index, mask

from .. import rules
from ..config import IdentityConfig
from ..model import Account, Appeal
from . import tokens
from . import accounts
from . import consent
from .accounts import account_created, person_verified, set_identity, set_phone
from .base import NameCheck, SmsSender, audit, require_admin
from .verification import check_sms_code

ID_BOUND = ("该身份证号已被其他账号认证。如确属本人，可通过“换绑”（短信验证后解除原账号的认证）"
            "或“人工申诉”处理")


class IdBound(Conflict):
    """409 with type .../id-bound: the client offers 换绑 (rebind) and 人工申诉 (appeal)."""

    code, title = "id-bound", "身份证号已被认证"


def _fail(errors: dict) -> None:
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)


def register(db: Database, outbox: Outbox, settings: Settings, config: IdentityConfig,
             body: dict) -> dict:
    """Step 1 (注册账号): every rule checked with its own message, then the SMS code."""
    errors = {}
    for field, check in (("username", rules.username_error), ("phone", rules.phone_error),
                         ("password", rules.password_error)):
        problem = check(body.get(field))
        if problem:
            errors[field] = problem
    sms_problem = rules.sms_code_error(body.get("sms_code"))
    if sms_problem:
        errors["sms_code"] = sms_problem
    if not body.get("password_confirm"):
        errors["password_confirm"] = "请再次输入密码"
    elif "password" not in errors and body["password_confirm"] != body["password"]:
        errors["password_confirm"] = "两次输入的密码不一致"
    if body.get("agree") is not True:
        errors["agree"] = "请阅读并勾选“我已阅读并同意《用户协议》”"
    with db.reading() as session:
        if "username" not in errors and session.scalar(
                select(Account.id).where(Account.username == body["username"])):
            errors["username"] = "该用户名已被注册"
        if "phone" not in errors and accounts.by_phone(session, body["phone"]):
            errors["phone"] = "该手机号已被注册，请直接登录"
    _fail(errors)
    check_sms_code(db, config, body["phone"], "register", body["sms_code"])
    account = Account(id=str(uuid.uuid4()), username=body["username"], kind="person",
                      display_name=body["username"],
                      password_hash=accounts.passwords.hash(body["password"]),
                      org_id=None, roles=[], created_at=utcnow(), agreed_at=utcnow(),
                      profile_complete=False)
    set_phone(account, body["phone"])
    try:
        with db.transaction() as session:
            session.add(account)
            session.flush()
            account_created(session, outbox, account)
            outbox.add(session, "identity.person.registered", account.id,
                           {"account_id": account.id, "username": account.username})
            audit(session, "person.registered", account.id)
            pair = tokens.issue(session, settings, account, method="register")
    except IntegrityError:  # the same username or phone, registered a moment ago
        raise ValidationFailed("用户名或手机号已被注册",
                               {"username": "该用户名或手机号已被注册"}) from None
    return {"account_id": account.id, "step": "real_name", "tokens": pair.__dict__,
            "message": "注册账号成功，请进行实名认证"}


def _check_identity(body: dict) -> tuple[str, str]:
    errors = {}
    name_problem = rules.name_error(body.get("name"))
    if name_problem:
        errors["name"] = name_problem
    id_problem = rules.id_number_error(body.get("id_number"))
    if id_problem:
        errors["id_number"] = id_problem
    _fail(errors)
    return body["name"].strip(), rules.normalise_id_number(body["id_number"])


def _verified(session, outbox: Outbox, account: Account, name: str, id_number: str,
              how: str) -> None:
    set_identity(account, name, id_number)
    person_verified(session, outbox, account, how)
    audit(session, "person.verified", account.id, method=how)


def verify_real_name(db: Database, outbox: Outbox, name_matches: NameCheck, ip: str,
                     claims: Claims, body: dict) -> dict:
    """Step 2 (实名认证): name + ID number, checked by GB 11643 and against bindings."""
    if claims.kind != "person":
        raise Forbidden("仅个人账号可以进行实名认证")
    # A separate consent to process the ID number (sensitive), kept before it is processed.
    given = consent.require(body, "id-number")
    name, id_number = _check_identity(body)
    with db.transaction() as session:
        consent.record(session, ip, claims.sub, given)
    if not name_matches(name, id_number):
        with db.transaction() as session:
            audit(session, "person.verification_failed", claims.sub)
        raise ValidationFailed("姓名与身份证号不匹配，请核对后重新提交",
                               {"name": "姓名与身份证号不匹配，请核对后重新提交"})
    with db.transaction() as session:
        account = session.get(Account, claims.sub)
        if account.verified_at is not None:
            raise Conflict("本账号已完成实名认证", {"id_number": "本账号已完成实名认证"})
        holder = accounts.by_id_number(session, id_number)
        if holder is not None:
            raise IdBound(ID_BOUND, {"id_number": "该身份证号已被其他账号认证，可换绑或人工申诉"})
        _verified(session, outbox, account, name, id_number, "id_card")
    return {"step": "done", "verified": True, "message": "认证成功"}


def skip_real_name(db: Database, claims: Claims) -> dict:
    """暂不认证: registration is complete without it; it can be done later."""
    with db.transaction() as session:
        audit(session, "person.verification_skipped", claims.sub)
    return {"step": "done", "verified": False, "message": "注册成功"}


def registration_status(db: Database, claims: Claims) -> dict:
    with db.reading() as session:
        account = session.get(Account, claims.sub)
    verified = account.verified_at is not None
    return {"step": "done", "verified": verified,
            "message": "认证成功" if verified else "注册成功"}


def binding_holder(db: Database, claims: Claims, body: dict) -> Account:
    """The other account a rebind would take the ID number from (checked: this account is a
    person not yet verified, the number is bound elsewhere, the name is the holder's)."""
    if claims.kind != "person":
        raise Forbidden("仅个人账号可以换绑身份证")
    name, id_number = _check_identity(body)
    with db.reading() as session:
        account = session.get(Account, claims.sub)
        holder = accounts.by_id_number(session, id_number)
    if account.verified_at is not None:
        raise Conflict("本账号已完成实名认证", {"id_number": "本账号已完成实名认证"})
    if holder is None or holder.id == account.id:
        raise ValidationFailed("该身份证号未被其他账号认证，请直接进行实名认证",
                               {"id_number": "该身份证号未被其他账号认证"})
    if holder.real_name and holder.real_name != name:
        raise ValidationFailed("姓名与身份证号不匹配，请核对后重新提交", {"name": "姓名与身份证号不匹配"})
    return holder


def tell(session, outbox: Outbox, sender: SmsSender, account: Account, text: str) -> None:
    """The account's holder hears of it twice: an SMS to its phone and a prompt on its pages
    (workflow keeps the prompts, from identity.account.notified)."""
    if account.phone and sender is not None:
        sender.send(session, account.phone, f"【北京市统一身份认证平台】{text}")
    outbox.add(session, "identity.account.notified", account.id,
                   {"account_id": account.id, "text": text})


REBOUND_TEXT = ("您账号（{username}）已认证的身份证已换绑到另一个账号（已用发往本手机号的验证码确认），"
                "本账号的实名认证已解除。如非本人操作，请立即通过“人工申诉”找回。")


def rebind(db: Database, outbox: Outbox, config: IdentityConfig, sender: SmsSender, claims: Claims,
           body: dict) -> dict:
    """换绑: proved by the SMS code sent to the phone of the account holding the ID number
    (POST /me/sms-codes); that account loses the binding and is told (SMS + prompt)."""
    name, id_number = _check_identity(body)
    holder = binding_holder(db, claims, body)
    if not holder.phone:
        raise ValidationFailed("原认证账号未绑定手机号，无法短信验证，请通过人工申诉办理",
                               {"id_number": "原认证账号未绑定手机号，请通过人工申诉办理"})
    check_sms_code(db, config, holder.phone, "rebind", body.get("sms_code"))
    with db.transaction() as session:
        old = session.get(Account, holder.id)
        if old.id_number_index != holder.id_number_index:  # changed under us
            raise Conflict("该身份证号的认证状态已变化，请重新获取验证码")
        set_identity(old, None, None)
        old.display_name = old.username
        tokens.revoke_all(session, outbox, old.id)
        session.flush()
        account = session.get(Account, claims.sub)
        _verified(session, outbox, account, name, id_number, "rebind")
        audit(session, "person.rebound", account.id, released_from=old.id,
              proof="sms-to-holder")
        audit(session, "person.binding_released", old.id, actor_id=account.id,
              taken_by=account.id, proof="sms-to-holder")
        outbox.add(session, "identity.person.rebound", account.id,
                       {"account_id": account.id, "released_account_id": old.id})
        tell(session, outbox, sender, old, REBOUND_TEXT.format(username=old.username))
    return {"step": "done", "verified": True, "message": "换绑成功，认证成功"}


# --- 人工申诉 -------------------------------------------------------------------------------

def _appeal_view(appeal: Appeal, owner: bool) -> dict:
    return {"id": appeal.id, "account_id": appeal.account_id,
            "name": appeal.real_name if owner else rules.mask_name(appeal.real_name),
            "id_number": appeal.id_number if owner else mask(appeal.id_number),
            "reason": appeal.reason, "evidence_file_id": appeal.evidence_file_id,
            "status": appeal.status, "created_at": appeal.created_at,
            "decided_at": appeal.decided_at, "comment": appeal.comment}


def file_appeal(db: Database, outbox: Outbox, sender: SmsSender, claims: Claims,
                body: dict) -> dict:
    if claims.kind != "person":
        raise Forbidden("仅个人账号可以提交申诉")
    errors = {}
    try:
        name, id_number = _check_identity(body)
    except ValidationFailed as invalid:
        errors.update(invalid.errors)
    reason = (body.get("reason") or "").strip()
    if len(reason) < 5:
        errors["reason"] = "请填写申诉理由（至少 5 个字）"
    evidence = (body.get("evidence_file_id") or "").strip()
    if not evidence:
        errors["evidence_file_id"] = "请上传证明材料（如手持身份证照片）"
    _fail(errors)
    with db.transaction() as session:
        holder = accounts.by_id_number(session, id_number)
        if holder is None or holder.id == claims.sub:
            raise ValidationFailed("该身份证号未被其他账号认证，请直接进行实名认证",
                                   {"id_number": "该身份证号未被其他账号认证"})
        pending = session.scalar(select(Appeal.id).where(
            Appeal.account_id == claims.sub, Appeal.status == "pending"))
        if pending:
            raise Conflict("您已有一条待处理的申诉，请等待审核结果")
        appeal = Appeal(id=str(uuid.uuid4()), account_id=claims.sub, real_name=name,
                        id_number=id_number, id_number_index=blind_index(id_number),
                        reason=reason, evidence_file_id=evidence, status="pending",
                        created_at=utcnow())
        session.add(appeal)
        audit(session, "appeal.filed", claims.sub, appeal_id=appeal.id,
              holder_account_id=holder.id)
        audit(session, "appeal.filed_against", holder.id, claims.sub, appeal_id=appeal.id)
        tell(session, outbox, sender, holder, APPEAL_FILED_TEXT.format(username=holder.username))
        # workflow starts the admins' review (bpmn/realname_appeal.bpmn) from this event; only
        # the masked name and number travel.
        outbox.add(session, "identity.appeal.filed", appeal.id,
                       {"appeal_id": appeal.id, "account_id": claims.sub,
                        "applicant_name": claims.name or "",
                        "name": rules.mask_name(name), "id_number": mask(id_number),
                        "reason": reason, "evidence_file_id": evidence,
                        "attachment_ids": [evidence]})
    return _appeal_view(appeal, owner=True)


def my_appeals(db: Database, claims: Claims) -> list[dict]:
    with db.reading() as session:
        rows = session.scalars(select(Appeal).where(Appeal.account_id == claims.sub)
                               .order_by(Appeal.created_at.desc())).all()
    return [_appeal_view(row, owner=True) for row in rows]


def list_appeals(db: Database, claims: Claims, status: str | None, page: int,
                 per_page: int) -> dict:
    require_admin(claims)
    query = select(Appeal).order_by(Appeal.created_at)
    if status:
        query = query.where(Appeal.status == status)
    with db.reading() as session:
        result = paginate(session, query, page, per_page)
    result["items"] = [_appeal_view(row, owner=False) for row in result["items"]]
    return result


APPEAL_FILED_TEXT = ("有人对您账号（{username}）已认证的身份证提出了人工申诉，工作人员将审核其证明材料；"
                     "审核期间您的认证不变。如有疑问，请联系平台客服。")
APPEAL_APPROVED_TEXT = ("经工作人员审核人工申诉的证明材料，您账号（{username}）已认证的身份证已换绑到申诉人的账号，"
                        "本账号的实名认证已解除。如有异议，请提交人工申诉。")
APPEAL_PROCESS = "realname_appeal"
APPEAL_OUTCOMES = {"approved": "approved", "rejected": "rejected", "withdrawn": "withdrawn"}


def on_appeal_reviewed(session, outbox: Outbox, sender: SmsSender, effects: Effects,
                       envelope: dict) -> None:
    """Consumer of workflow.instance.completed for the admins' review (process
    realname_appeal, business_key = the appeal): the process decided, identity applies it —
    approved moves the binding to the appellant — and tells the person by SMS."""
    data = envelope["data"]
    if data.get("process_key") != APPEAL_PROCESS:
        return
    appeal = session.get(Appeal, data.get("business_key") or "")
    if appeal is None:
        raise LookupError(f"appeal {data.get('business_key')} of instance {data['instance_id']}"
                          " is unknown")  # retried, then parked for replay
    status = APPEAL_OUTCOMES.get(data.get("outcome"), "rejected")
    if appeal.status != "pending":
        return  # already recorded
    appellant = session.get(Account, appeal.account_id)
    comment = (data.get("comment") or "").strip()
    decided_by = data.get("decided_by")
    appeal.status = status
    appeal.decided_at, appeal.decided_by, appeal.comment = utcnow(), decided_by, comment
    if status == "withdrawn":  # the person withdrew it before the review began
        audit(session, "appeal.withdrawn", appellant.id, appeal_id=appeal.id)
        return
    decision = "approve" if status == "approved" else "reject"
    released = None
    if decision == "approve":
        holder = accounts.by_id_number(session, appeal.id_number)
        if holder is not None and holder.id != appellant.id:
            released = holder.id
            set_identity(holder, None, None)
            holder.display_name = holder.username
            tokens.revoke_all(session, outbox, holder.id)
            audit(session, "person.binding_released", holder.id, actor_id=decided_by,
                  appeal_id=appeal.id, taken_by=appellant.id, proof="appeal")
            tell(session, outbox, sender, holder,
                 APPEAL_APPROVED_TEXT.format(username=holder.username))
            session.flush()
        if appellant.verified_at is not None:
            set_identity(appellant, None, None)
            session.flush()
        _verified(session, outbox, appellant, appeal.real_name, appeal.id_number, "appeal")
    audit(session, "appeal.decided", appellant.id, actor_id=decided_by,
          appeal_id=appeal.id, decision=decision, released_account_id=released,
          instance_id=data["instance_id"])
    outbox.add(session, "identity.appeal.decided", appeal.id,
                   {"appeal_id": appeal.id, "account_id": appellant.id,
                    "decision": decision, "comment": comment,
                    "instance_id": data["instance_id"]})
    if appellant.phone:
        result = "已通过，您的账号已完成实名认证" if decision == "approve" \
            else f"未通过，原因：{comment}"
        # Sent after this consumer's commit, not inside it: a failing SMS gateway must not
        # undo the decision, and a redelivery must not text the person twice.
        effects.add(session, "sms", {
            "phone": appellant.phone,
            "text": f"【北京市统一身份认证平台】您提交的实名认证人工申诉{result}。"})
