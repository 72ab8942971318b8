"""workflow's tables: deployed definitions, instances (serialized workflow + what the pages
query), the task inbox, the audit trail, and its read model of orgs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.bus import bus_tables
from services.common.db import UtcDateTime, utcnow

# Who a lane's tasks go to, in words (the "who holds it" of the status page).
LANE_TITLES = {"applicant": "申请人", "unit": "用人单位", "supervisor": "归口单位",
               "bureau": "市局", "expert": "专家", "district": "区委人才办",
               "committee": "竞赛组委会", "admin": "管理员"}
DECISION_TITLES = {"approve": "通过", "reject": "不通过", "return": "退回修改",
                   "submit": "提交申请", "resubmit": "修改后重新提交"}
OUTCOME_TITLES = {"approved": "已通过", "rejected": "未通过"}


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata)


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


class Instance(Base):
    """A running or finished business. `version` makes every update compare-and-swap."""

    __tablename__ = "instance"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("definition.id"))
    process_key: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    applicant_id: Mapped[str] = mapped_column(String(36), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | completed
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    application: Mapped[dict] = mapped_column(JSON)
    serialized: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Task(Base):
    """One user task waiting in (or done from) a candidate group's inbox."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_inbox", "candidate_group", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # Spiff's task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    task_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(30))
    candidate_group: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="ready")  # ready | completed
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class AuditEntry(Base):
    """The timeline of an instance: who did what, when, and why."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_org: Mapped[str | None] = mapped_column(String(200), nullable=True)
    stage: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrgEntry(Base):
    """Read model of orgs.org.registered: enough of the hierarchy to route tasks."""

    __tablename__ = "org_entry"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class PersonUnit(Base):
    """Read model of orgs.affiliation.approved: the unit a person belongs to."""

    __tablename__ = "person_unit"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
