"""orgs' tables: the organisation hierarchy and people's affiliation to units."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.bus import bus_tables
from services.common.db import UtcDateTime, utcnow

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
AFFILIATION_STATES = ("pending", "approved", "rejected", "unlinked")


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata)


class Org(Base):
    __tablename__ = "org"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Affiliation(Base):
    """A person's link to a unit. At most one approved affiliation per person."""

    __tablename__ = "affiliation"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", name="uq_affiliation_person_unit"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    person_name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
