"""identity's tables: accounts, signing keys, refresh tokens, and each person's business record."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.bus import bus_tables
from services.common.db import UtcDateTime, utcnow

ACCOUNT_KINDS = ("person", "unit", "staff")


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata)


class Account(Base):
    """Anyone who signs in: a person (自然人), a unit (法人) or staff (reviewers, experts, admins).

    `org_id` is the organisation (from orgs) a unit or staff account acts for; `roles` are
    the roles it holds there (unit, supervisor, bureau, expert, admin, ...).
    """

    __tablename__ = "account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SigningKey(Base):
    """RSA keys that sign access tokens; every key stays in the JWKS, the newest signs."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RefreshToken(Base):
    """A refresh token (stored as its hash). Each use rotates it; reusing a spent one
    revokes its whole family, since only a thief would hold an old one."""

    __tablename__ = "refresh_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class BusinessRecord(Base):
    """A finished business on a person's record, written from workflow.instance.completed."""

    __tablename__ = "business_record"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
