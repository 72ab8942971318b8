"""orgs' tables: the organisation hierarchy, unit profiles, people's affiliation to units and
the read model of businesses in progress (from workflow's events); domain rules without I/O."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from stdnum.cn import ric, uscc
from stdnum.exceptions import (InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength,
                               ValidationError)

from services.common.audit import audit_tables
from services.common.bus import bus_tables
from services.common.idempotency import idempotency_table
from services.common.db import UtcDateTime, utcnow
from services.common.pii import EncryptedString

# kind -> what users call it. A unit's parent is its supervising body (归口单位), whose
# parent is the city bureau (市局); expert pools and committees hang under the bureau.
ORG_KINDS = {
    "unit": "用人单位",
    "supervisor": "归口单位",
    "bureau": "市局",
    "district": "区委人才办",
    "committee": "竞赛组委会",
    "expert_pool": "专家库",
}
# kind -> the kind its parent must be (None: it has no parent).
PARENT_KIND = {
    "bureau": None,
    "supervisor": "bureau",
    "district": "bureau",
    "committee": "bureau",
    "expert_pool": "bureau",
    "unit": "supervisor",
}
AFFILIATION_STATES = ("pending", "approved", "rejected", "unlinked")
AFFILIATION_TITLES = {"pending": "待确认", "approved": "在职", "rejected": "已拒绝",
                      "unlinked": "已解除关联"}
PROFILE_STATES = ("incomplete", "complete")


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata, denylist=True)  # + token_denylist (revoked tokens)
AUDIT = audit_tables(Base.metadata)  # audit_log + its chain head (services.common.audit)
IDEMPOTENCY = idempotency_table(Base.metadata)  # Idempotency-Key records


class Org(Base):
    __tablename__ = "org"
    __table_args__ = (UniqueConstraint("credit_code", name="uq_org_credit_code"),
                      UniqueConstraint("association_code", name="uq_org_association_code"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org.id"), nullable=True, index=True)
    # Units only: the district (区委人才办) the unit is registered in.
    district_id: Mapped[str | None] = mapped_column(
        ForeignKey("org.id", name="fk_org_district_id"), nullable=True, index=True)
    # Units only: 统一社会信用代码 (GB 32100) and 单位关联代码 (what people type to link).
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    association_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Units only: the unit account that signs in as it (identity's), when orgs knows it — a
    # unit that registered by phone (seed 003) or one seeded with its account.
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class UnitProfile(Base):
    """A unit's own information (单位信息完善): general info, qualifications, the business
    handler and emergency contact, attachments. `status` is the first-login gate."""

    __tablename__ = "unit_profile"

    unit_id: Mapped[str] = mapped_column(ForeignKey("org.id", name="fk_unit_profile_unit_id"),
                                         primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="incomplete")
    office_location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unit_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    general: Mapped[dict] = mapped_column(JSON, default=dict)
    qualifications: Mapped[list] = mapped_column(JSON, default=list)
    handler_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    handler_phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    emergency_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    emergency_phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    attachment_ids: Mapped[list] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Affiliation(Base):
    """A person's link to a unit, from request to approval (or rejection) to unlinking.
    `open_person_id` is the person's id while the link is pending or approved and NULL
    otherwise: its unique constraint makes "one open link per person" hold under races."""

    __tablename__ = "affiliation"
    __table_args__ = (UniqueConstraint("open_person_id", name="uq_affiliation_open_person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    person_name: Mapped[str] = mapped_column(String(100))
    open_person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    unlinked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    unlink_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Current position and labour contract (当前职位与劳动合同).
    position: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contract_term: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contract_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    contract_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    contract_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


CERTIFICATION_STATES = ("pending_review", "approved", "rejected")
CERTIFICATION_TITLES = {"pending_review": "待审核", "approved": "已通过", "rejected": "未通过"}


class UnitCertification(Base):
    """单位认证 from the business licence: the last reading of the uploaded licence and the
    submitted (checked, maybe corrected) name and code. `reading` is what OCR found, kept
    server-side so that "recognition succeeded" is never the client's word."""

    __tablename__ = "unit_certification"

    unit_id: Mapped[str] = mapped_column(
        ForeignKey("org.id", name="fk_unit_certification_unit_id"), primary_key=True)
    reading: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    licence_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


PERMISSION_STATES = ("pending", "approved", "rejected", "re_review", "withdrawn")
PERMISSION_TITLES = {"pending": "审核中", "approved": "已开通", "rejected": "业务权限审核不通过",
                     "re_review": "资料修改待审核（权限仍有效）", "withdrawn": "已撤回"}
# What the unit's button says in each state (None: wait for the review).
PERMISSION_ACTIONS = {None: "申请开通", "withdrawn": "申请开通", "pending": None,
                      "approved": "修改资料", "re_review": None, "rejected": "重新申请"}
# The businesses a unit applies to open and the process whose review decides it.
PERMISSION_PROCESSES = {"business_permission": "talent_intro"}
BUSINESS_TITLES = {"talent_intro": "人才引进（需求申报）"}


class BusinessPermission(Base):
    """业务权限 (seed 003): a unit's permission to run a business (talent_intro), kept from
    workflow's events of the review process (bpmn/business_permission.bpmn). `instance_id`
    is the last application; `approved_at` stays once the permission was first granted."""

    __tablename__ = "business_permission"

    unit_id: Mapped[str] = mapped_column(
        ForeignKey("org.id", name="fk_business_permission_unit_id"), primary_key=True)
    business: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class BusinessInProgress(Base):
    """Read model of workflow: businesses started and not yet completed, with the applicant
    and their unit (an employee with one cannot be unlinked from that unit)."""

    __tablename__ = "business_in_progress"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    applicant_id: Mapped[str] = mapped_column(String(36), index=True)
    unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- rules without I/O ------------------------------------------------------------------------

# 统一社会信用代码 (GB 32100) and 居民身份证号码 (GB 11643) are checked by python-stdnum
# (cn.uscc, cn.ric); what stays ours is the message for each broken rule.
# The code's alphabet (no I, O, S, V, Z): named in our message, and OCR's fixes keep to it.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code_problem(code: str) -> str | None:
    """None when `code` is a valid unified social credit code, else what is wrong (Chinese)."""
    try:
        uscc.validate(code)
    except InvalidLength:
        return "统一社会信用代码应为18位"
    except InvalidFormat:
        bad = [c for c in uscc.compact(code) if c not in CREDIT_CODE_ALPHABET]
        if bad:
            return f"统一社会信用代码含有不允许的字符“{bad[0]}”（不使用I、O、S、V、Z）"
        return "统一社会信用代码前8位（登记管理部门、机构类别和登记管理机关行政区划码）应为数字"
    except ValidationError:  # InvalidChecksum
        return "统一社会信用代码校验位不正确，请核对后重新输入"
    return None


def normalise_credit_code(code: str) -> str:
    return uscc.compact(code)


def id_number_problem(value: str) -> str | None:
    """None for a valid resident ID number (a person's own, when they ask to be linked)."""
    try:
        ric.validate(value)
    except InvalidChecksum:
        if value[-1] in "0123456789X":
            return "身份证号码校验位不正确，请核对后重新输入"
        return "身份证号码应为18位（最后一位可为X）"
    except InvalidComponent:
        return "身份证号码中的出生日期或地区码不正确，请核对后重新输入"
    except ValidationError:  # InvalidLength, InvalidFormat
        return "身份证号码应为18位（最后一位可为X）"
    return None


# 单位关联代码: short, unambiguous when read aloud or typed (no 0/O, 1/I/L).
ASSOCIATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ASSOCIATION_LENGTH = 8


def normalise_association_code(code: str) -> str:
    return code.strip().upper().replace(" ", "").replace("-", "")


class PersonProfile(Base):
    """Read model of identity.profile.completed / updated: what a unit's employee detail
    shows in its tabs (general, education, study and work history)."""

    __tablename__ = "person_profile"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    education_level: Mapped[str | None] = mapped_column(String(50), nullable=True)
    education: Mapped[list] = mapped_column(JSON, default=list)
    study_history: Mapped[list] = mapped_column(JSON, default=list)
    work_history: Mapped[list] = mapped_column(JSON, default=list)


class PersonIdentity(Base):
    """Read model of identity.person.verified / rebound: the keyed blind indexes (never the
    numbers) of a person's verified ID number and phone, so what they type into an
    affiliation request is checked against who they are."""

    __tablename__ = "person_identity"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
