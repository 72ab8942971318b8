"""Accounts: creation (seeded, registered, or staff made by admins), how one is shown
(masked to everyone but its owner), the person's business record, the audit log."""
from __future__ import annotations

import uuid
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.audit import record as audit_record
from services.common.audit import search as audit_log_search
from services.common.auth import Claims, is_admin
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import Forbidden, NotFound, ValidationFailed
from services.common.pii import blind_index, mask

from .. import rules
from ..model import ACCOUNT_KINDS, BUS, Account, BusinessRecord
from .base import audit, require_admin

# argon2id with the library's defaults; replaceable (tests use cheaper parameters).
passwords = PasswordHasher()
STAFF_ROLES = ("supervisor", "bureau", "district", "committee", "expert", "admin")


def create_account(db: Database, outbox: Outbox, *, username: str, kind: str, display_name: str,
                   password: str, org_id: str | None = None, roles: list[str] | None = None,
                   account_id: str | None = None, phone: str | None = None,
                   id_number: str | None = None, real_name: str | None = None,
                   totp_secret: str | None = None, credit_code: str | None = None) -> Account:
    if kind not in ACCOUNT_KINDS:
        raise ValidationFailed("账号类型不正确", {"kind": "应为 person、unit 或 staff"})
    with db.transaction() as session:
        if session.scalar(select(Account.id).where(Account.username == username)):
            raise ValidationFailed("用户名已被使用", {"username": "用户名已被使用"})
        account = Account(id=account_id or str(uuid.uuid4()), username=username, kind=kind,
                          display_name=display_name, password_hash=passwords.hash(password),
                          org_id=org_id, roles=list(roles or []), created_at=utcnow(),
                          totp_secret=totp_secret, profile_complete=False,
                          totp_confirmed_at=utcnow() if totp_secret else None,
                          credit_code=credit_code)
        if phone:
            set_phone(account, phone)
        if id_number:
            set_identity(account, real_name or display_name, id_number)
        session.add(account)
        account_created(session, outbox, account)
        if account.kind == "person" and account.verified_at is not None:
            person_verified(session, outbox, account, "created")
    return account


def account_created(session: Session, outbox: Outbox, account: Account) -> None:
    outbox.add(session, "identity.account.created", account.id,
               {"account_id": account.id, "kind": account.kind,
                "display_name": account.display_name, "org_id": account.org_id,
                "roles": account.roles})


def person_verified(session: Session, outbox: Outbox, account: Account, how: str) -> None:
    """The person's real name is checked. The blind index (a keyed hash, never the number)
    lets other services check a number the person types against it (技能竞赛's 个人身份信息确认,
    orgs' affiliation request, which checks the phone's index too)."""
    outbox.add(session, "identity.person.verified", account.id,
               {"account_id": account.id, "name": account.real_name, "method": how,
                "id_number_index": account.id_number_index,
                "phone_index": account.phone_index})


def after_pii_rotation(db: Database) -> None:
    """After `python -m services.common.pii rotate identity`: the blind indexes changed with the
    key, so every verified person is announced again (method "rekeyed") for the copies other
    services keep (workflow's person record)."""
    outbox = Outbox(BUS.outbox, "identity")
    with db.transaction() as session:
        for account in session.scalars(select(Account).where(
                Account.id_number_index.is_not(None))):
            person_verified(session, outbox, account, "rekeyed")


def by_phone(session: Session, phone: str) -> Account | None:
    """The account bound to a phone number, found by its blind index."""
    return session.scalars(select(Account).where(
        Account.phone_index == blind_index(phone))).first()


def by_id_number(session: Session, id_number: str) -> Account | None:
    """The account verified with an ID number, found by its blind index."""
    return session.scalars(select(Account).where(
        Account.id_number_index == blind_index(rules.normalise_id_number(id_number)))).first()


def account_by_phone(db: Database, phone: str | None) -> Account | None:
    """The account bound to a phone number (validated first: 422 naming `phone`)."""
    error = rules.phone_error(phone)
    if error:
        raise ValidationFailed(error, {"phone": error})
    with db.reading() as session:
        return by_phone(session, phone)


def set_phone(account: Account, phone: str | None) -> None:
    account.phone = phone
    account.phone_index = blind_index(phone) if phone else None


def set_identity(account: Account, real_name: str | None, id_number: str | None) -> None:
    account.real_name = real_name
    account.id_number = rules.normalise_id_number(id_number) if id_number else None
    account.id_number_index = blind_index(account.id_number) if id_number else None
    account.verified_at = utcnow() if id_number else None
    if real_name and account.kind == "person":
        account.display_name = real_name


def get_account(db: Database, account_id: str) -> Account:
    with db.reading() as session:
        account = session.get(Account, account_id)
    if account is None:
        raise NotFound("账号不存在")
    return account


def view(account: Account, owner: bool) -> dict:
    """An account as shown: the owner sees their phone and ID number, others masked."""
    show = (lambda value: value) if owner else mask
    return {
        "id": account.id, "username": account.username, "kind": account.kind,
        "display_name": account.display_name, "org_id": account.org_id,
        "roles": account.roles,
        "phone": show(account.phone),
        "real_name": account.real_name if owner else rules.mask_name(account.real_name),
        "id_type": "居民身份证" if account.id_number else None,
        "id_number": show(account.id_number),
        "verified": account.verified_at is not None,
        "profile_complete": bool(account.profile_complete),
        "totp_enabled": account.totp_confirmed_at is not None,
        "created_at": account.created_at,
    }


def me(db: Database, account_id: str) -> dict:
    return view(get_account(db, account_id), owner=True)


def basic_info(db: Database, account_id: str) -> dict:
    """个人基础信息 panel: name, phone, ID type and the ID number masked."""
    account = get_account(db, account_id)
    return {"name": account.real_name or account.display_name, "phone": account.phone,
            "id_type": "居民身份证" if account.id_number else None,
            "id_number": mask(account.id_number), "verified": account.verified_at is not None,
            "profile_complete": bool(account.profile_complete)}


# Staff who look accounts up (masked): reviewers of units, districts, the bureau, admins.
# Experts and the competition committee judge applications, never look people up.
LOOKUP_ROLES = ("supervisor", "bureau", "district", "admin")


def staff_view_of(db: Database, claims: Claims, account_id: str) -> dict:
    if claims.kind != "staff" or not any(claims.has_role(role) for role in LOOKUP_ROLES):
        raise Forbidden("仅审核人员和管理员可以查看其他账号")
    account = get_account(db, account_id)
    with db.transaction() as session:
        audit_record(session, "account.viewed", "account", account.id, subject_id=account.id,
                     claims=claims, detail={"masked": claims.sub != account_id})
    return view(account, owner=claims.sub == account_id)


def create_staff(db: Database, outbox: Outbox, claims: Claims, body: dict) -> dict:
    """Admins create reviewer, expert and admin accounts (staff passwords: ≥ 10 characters)."""
    require_admin(claims)
    errors = {}
    username_problem = rules.username_error(body.get("username"))
    if username_problem:
        errors["username"] = username_problem
    password_problem = rules.password_error(body.get("password"), staff=True)
    if password_problem:
        errors["password"] = password_problem
    if not (body.get("display_name") or "").strip():
        errors["display_name"] = "请输入姓名或名称"
    roles = body.get("roles") or []
    if not roles or any(role not in STAFF_ROLES for role in roles):
        errors["roles"] = "角色应为 " + "、".join(STAFF_ROLES) + " 中的一个或多个"
    if not body.get("org_id"):
        errors["org_id"] = "请选择所属机构"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    # No TOTP secret here: the admin never holds it; the person enrols at first sign-in.
    account = create_account(db, outbox, username=body["username"], kind="staff",
                             display_name=body["display_name"].strip(),
                             password=body["password"], org_id=body["org_id"], roles=roles)
    with db.transaction() as session:
        audit(session, "staff.created", account.id, claims.sub, roles=roles,
              org_id=body["org_id"])
    return {"account": view(account, owner=False),
            "message": "已创建。首次登录时须用身份验证器应用扫码绑定动态验证码"}


def rotate_keys(db: Database, claims: Claims) -> dict:
    """A new signing key (admins); the previous one stays published, the rotation audited."""
    from .tokens import rotate_signing_key

    require_admin(claims)
    kid = rotate_signing_key(db)
    with db.transaction() as session:
        audit(session, "keys.rotated", None, claims.sub, kid=kid)
    return {"kid": kid}


def business_records(db: Database, account_id: str) -> list[BusinessRecord]:
    with db.reading() as session:
        return list(session.scalars(select(BusinessRecord)
                                    .where(BusinessRecord.account_id == account_id)
                                    .order_by(BusinessRecord.completed_at.desc())))


def record_business_result(session: Session, envelope: dict) -> None:
    """Consumer of workflow.instance.completed: the result lands on the applicant's record."""
    data = envelope["data"]
    # Only the id: nothing personal is decrypted to file a record.
    if session.scalar(select(Account.id).where(Account.id == data["applicant_id"])) is None:
        return  # not one of our accounts (nothing to record)
    session.merge(BusinessRecord(
        instance_id=data["instance_id"], account_id=data["applicant_id"],
        process_key=data["process_key"], title=data["title"], outcome=data["outcome"],
        completed_at=datetime.fromisoformat(data["completed_at"])))


def audit_log(db: Database, claims: Claims, account_id: str | None, action: str | None,
              page: int, per_page: int) -> dict:
    """identity's entries of the kit's audit log about an account (its sign-ins, failures,
    rebinds...), in the shape the person's history and the admins' list have always had.
    Everyone reads their own; admins any account's, or all."""
    if account_id != claims.sub and not is_admin(claims):
        raise Forbidden("仅管理员可以查看其他账号的记录")
    result = audit_log_search(db, subject_id=account_id, action=action, page=page,
                              per_page=per_page)
    result["items"] = [{"id": str(entry["seq"]), "at": entry["at"], "action": entry["action"],
                        "account_id": entry["subject_id"], "actor_id": entry["actor_id"],
                        "ip": entry["ip"], "detail": entry["detail"] or {}}
                       for entry in result["items"]]
    return result
