"""workflow's tables: deployed definitions, instances (serialized workflow + what the pages
query), the task inbox, the audit trail, its read models of orgs and people, and the
skills competitions (竞赛计划, 个人基本信息, 报名)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy import false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.audit import audit_tables
from services.common.bus import bus_tables
from services.common.idempotency import idempotency_table
from services.common.db import UtcDateTime, utcnow
from services.common.pii import EncryptedString

# Who a lane's tasks go to, in words (the "who holds it" of the status page).
LANE_TITLES = {"applicant": "申请人", "unit": "用人单位", "supervisor": "归口单位",
               "bureau": "市局", "expert": "专家", "district": "区委人才办",
               "committee": "竞赛组委会", "admin": "管理员"}
# The stage in plain words while a lane holds the application ("归口单位审核中").
STAGE_TITLES = {"applicant": "退回申请人修改中", "unit": "用人单位审核中",
                "supervisor": "归口单位审核中", "bureau": "市局审核中", "expert": "专家评审中",
                "district": "区委人才办审核中", "committee": "竞赛组委会审核中",
                "admin": "管理员处理中"}
DECISION_TITLES = {"approve": "通过", "reject": "不通过", "return": "退回修改",
                   "submit": "提交申请", "resubmit": "修改后重新提交", "withdraw": "撤回申请",
                   "overdue": "超过规定时限", "remind": "时限提醒", "claim": "认领任务",
                   "unclaim": "退回任务池", "assign": "转交同事", "delegate": "委派协办",
                   "resolve": "协办完成交回", "comment": "备注",
                   "incident": "办理异常", "retry": "异常处理后重试", "migrate": "迁移流程版本",
                   "move": "管理员移动环节",
                   "task_created": "任务到达"}
# What the applicant's timeline shows; the rest of the audit trail is for staff.
PUBLIC_ACTIONS = {"submit", "approve", "reject", "return", "resubmit", "withdraw", "overdue"}
STATUS_TITLES = {"running": "办理中", "returned": "已退回待修改", "completed": "已办结",
                 "rejected": "未通过", "withdrawn": "已撤回", "failed": "办理异常"}


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata, denylist=True)  # + token_denylist (revoked tokens)
AUDIT = audit_tables(Base.metadata)  # audit_log + its chain head (services.common.audit)
IDEMPOTENCY = idempotency_table(Base.metadata)  # Idempotency-Key records


class Definition(Base):
    """One deployed version of a process: its BPMN and forms, never changed once deployed."""

    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("process_key", "version", name="uq_definition_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary)
    forms: Mapped[dict] = mapped_column(JSON)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # draft (uploaded, not yet in use) | deployed (new instances start on it) | retired
    state: Mapped[str] = mapped_column(String(20), default="deployed", server_default="deployed")
    uploaded_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Instance(Base):
    """A running or finished business. `version` makes every update compare-and-swap."""

    __tablename__ = "instance"
    __table_args__ = (Index("ix_instance_next_timer_at", "next_timer_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("definition.id"))
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    applicant_id: Mapped[str] = mapped_column(String(36), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    # Who started it (person | unit: a unit account applies) and, when a unit applies for an
    # employee, the person the business is about (rencai:subjectField of the process).
    applicant_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    subject_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    business_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # running | returned | completed | rejected | withdrawn | failed
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    stage: Mapped[str] = mapped_column(String(100), default="", server_default="")
    application: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # e.g. the expert panel's
    incident: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # SpiffWorkflow's dump, rewritten on every step: lz4-compressed on PostgreSQL (migration
    # f3a3f21ac900), cheaper to write than the default pglz.
    serialized: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Task(Base):
    """One user task waiting in (or done from) a candidate group's inbox."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_inbox", "candidate_group", "status", "created_at"),
                      Index("ix_task_assignee", "assignee", "status", "created_at"),
                      # The open inbox (service/inbox.py; migration c3f1a9e5d7b2).
                      Index("ix_task_ready_group_created", "candidate_group", "created_at", "id",
                            "assignee", "due_at", postgresql_where=text("status = 'ready'"),
                            sqlite_where=text("status = 'ready'")),
                      Index("ix_task_ready_group_due", "candidate_group", "due_at", "id",
                            "assignee", postgresql_where=text("status = 'ready'"),
                            sqlite_where=text("status = 'ready'")),
                      Index("ix_task_ready_assignee", "assignee", "created_at", "id",
                            "candidate_group", "due_at", postgresql_where=text("status = 'ready'"),
                            sqlite_where=text("status = 'ready'")))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # Spiff's task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    task_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(30))
    candidate_group: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="ready")  # ready|completed|cancelled
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    completed_by_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(36), nullable=True)
    assignee_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # 委派: while set, the assignee is a colleague preparing the task for its owner, who
    # gets it back (resolve) and decides.
    owner: Mapped[str | None] = mapped_column(String(36), nullable=True)
    owner_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # No index of its own: every query on it is about open tasks, whose partial indexes above
    # carry it (migration f3a3f21ac900).
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Never loaded (lazy="raise"): it only orders a flush, so a new instance's one INSERT
    # goes before its tasks' and timeline's (service/base.py swap).
    instance: Mapped[Instance] = relationship(lazy="raise")


class AuditEntry(Base):
    """The timeline of an instance: who did what, when, and why."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_org: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(30), nullable=True)  # lane, or system
    stage: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    instance: Mapped[Instance] = relationship(lazy="raise")  # flush order only, as Task's


class OrgEntry(Base):
    """Read model of orgs.org.registered: enough of the hierarchy to route tasks."""

    __tablename__ = "org_entry"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # Units only: 单位关联代码 (orgs.org.registered / updated carry it), so a person can name
    # the unit of an affiliation request by it.
    association_code: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    # Units only: the district office (区委人才办) of the unit's registered district; the lane
    # "district" routes to it.
    district_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # Units only: passed 单位认证 (orgs.unit.certified); 业务权限开通 needs it (seed 003).
    certified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UnitPermission(Base):
    """Read model of orgs.permission.changed: a unit's business permission (业务权限, e.g.
    talent_intro) — pending | approved | rejected (with reason) | re_review (modified after
    approval, still usable) | withdrawn. Processes with rencai:permission need it."""

    __tablename__ = "unit_permission"

    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PersonUnit(Base):
    """Read model of orgs.affiliation.*: the unit a person belongs to (approved) or has asked
    to join (pending: no second request); rejected and unlinked links are deleted."""

    __tablename__ = "person_unit"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="approved",
                                        server_default="approved")


class StaffMember(Base):
    """Read model of identity.account.created for staff and unit accounts: who belongs to
    which candidate group (colleagues to assign to, the experts of a pool)."""

    __tablename__ = "staff_member"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    roles: Mapped[list] = mapped_column(JSON)


class SchedulerLease(Base):
    """One row per singleton loop (the timer scheduler): whoever holds an unexpired lease
    is the only one acting; the others wait for it to lapse."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Restriction(Base):
    """An admin keeps a person or unit from starting a business, with the reason they see."""

    __tablename__ = "restriction"
    __table_args__ = (UniqueConstraint("subject_id", "process_key", name="uq_restriction"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), index=True)  # account or unit id
    process_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Notice(Base):
    """A policy notice published by admins (通知公告)."""

    __tablename__ = "notice"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list] = mapped_column(JSON)
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Prompt(Base):
    """A per-user business prompt made from a bus event ("您的申请已被退回……")."""

    __tablename__ = "prompt"
    __table_args__ = (Index("ix_prompt_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SavedFilter(Base):
    """A reviewer's named inbox filter (the query parameters of GET /tasks)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filter_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(50))
    query: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonRecord(Base):
    """Read model of identity's person events: the verified real name and the blind index of
    the ID number (identity.person.verified; 换绑 clears the released account's), and the
    submitted profile (identity.profile.completed / updated) that forms are prefilled from."""

    __tablename__ = "person_record"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    real_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    profile: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    profile_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AttachmentEntry(Base):
    """Read model of files.attachment.uploaded / deleted: whose a file is and its name, so a
    form's attachments are checked against what files holds, not what the client says."""

    __tablename__ = "attachment_entry"

    attachment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))


# --- 技能竞赛报名 (seed 004) -------------------------------------------------------------------

class Competition(Base):
    """A competition plan (竞赛计划) a committee publishes: its occupations (工种), the
    registration window and the competition dates. draft | published | closed."""

    __tablename__ = "competition"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    committee_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organiser: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    registration_opens: Mapped[date] = mapped_column(Date)
    registration_closes: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    occupations: Mapped[list] = mapped_column(JSON)  # [{code, name, levels: [...]}]
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CompetitorProfile(Base):
    """个人基本信息 of the competition system: confirmed once against the verified identity
    (个人身份信息确认), kept across years and copied into every registration."""

    __tablename__ = "competitor_profile"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(EncryptedString(200))
    phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    # ethnicity, political_status, education_level, work_unit, address, postcode, email
    # (gender and birth date are read from the ID number)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    photo_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CompetitionRegistration(Base):
    """One person's registration for one competition: a draft (保存) until 提交审核 starts the
    skills_competition instance, whose status is then the registration's."""

    __tablename__ = "competition_registration"
    __table_args__ = (UniqueConstraint("competition_id", "person_id",
                                       name="uq_competition_registration_person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    competition_id: Mapped[str] = mapped_column(ForeignKey("competition.id"), index=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    occupation_code: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # level, group, years, remarks
    photo_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
