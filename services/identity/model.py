"""identity's tables: accounts, signing keys, refresh tokens, captchas, SMS codes, the audit
log (the kit's audit_log), real-name appeals, personal profiles, and each person's business record."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import audit_tables
from services.common.bus import bus_tables
from services.common.idempotency import idempotency_table
from services.common.db import UtcDateTime, utcnow
from services.common.effects import effects_table
from services.common.pii import EncryptedString

ACCOUNT_KINDS = ("person", "unit", "staff")


class Base(DeclarativeBase):
    pass


BUS = bus_tables(Base.metadata)
AUDIT = audit_tables(Base.metadata)  # audit_log + its chain head (services.common.audit)
# SMS sent from bus consumers: recorded in the consumer's transaction, sent after its commit.
EFFECTS = effects_table(Base.metadata)
IDEMPOTENCY = idempotency_table(Base.metadata)  # Idempotency-Key records


class Account(Base):
    """Anyone who signs in: a person (自然人), a unit (法人) or staff (reviewers, experts, admins).

    `org_id` is the organisation (from orgs) a unit or staff account acts for; `roles` are
    the roles it holds there (unit, supervisor, bureau, expert, admin, ...). Phone and ID
    number are encrypted at rest; their blind indexes make them unique and searchable.
    """

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("phone_index", name="uq_account_phone_index"),
                      UniqueConstraint("id_number_index", name="uq_account_id_number_index"),
                      UniqueConstraint("credit_code", name="uq_account_credit_code"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    real_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    agreed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    # The last TOTP time step accepted: a code is good once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # When the holder proved the secret with a first code (staff enrol at their first sign-in);
    # a secret without it is an enrolment in progress.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    profile_complete: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    # A unit's 统一社会信用代码: what its digital certificate's subject names.
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    # 注销: set when the person closed the account (POST /me/closure); the row stays,
    # anonymised, because records and the audit log refer to it (docs/closure.md).
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SigningKey(Base):
    """RSA keys that sign access tokens; the newest signs, the two newest are published. The
    private key (PKCS#8 PEM) is kept sealed under the key-encryption key RENCAI_SIGNING_KEK
    (services.common.keyring: the KEK's id is in the sealed value's header)."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_sealed: Mapped[str] = mapped_column(Text)
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
    # The access token issued together with this refresh token: revoking the family puts
    # it on the denylist until it would have expired anyway.
    access_jti: Mapped[str | None] = mapped_column(String(64), nullable=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RevokedToken(Base):
    """The denylist: access tokens ended before their expiry (logout, a revoked refresh
    family, 换绑, 注销). Short: an entry is swept once its token has expired."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Consent(Base):
    """A separate consent (PIPL art. 29), e.g. to process the ID number as sensitive
    personal information at the real-name check: the wording shown, its version, when."""

    __tablename__ = "consent"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    agreed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Captcha(Base):
    """A graphic captcha: shown as an image, answered once, valid for a short time."""

    __tablename__ = "captcha"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    answer: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SmsCode(Base):
    """A one-time SMS code for a phone and a purpose (stored hashed)."""

    __tablename__ = "sms_code"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SmsMessage(Base):
    """What the development SMS sender "sent": the tests and the demo read it here."""

    __tablename__ = "sms_message"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str] = mapped_column(EncryptedString(200))
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LoginGuard(Base):
    """Failed sign-ins counted per account ("account:<id>") and per IP ("ip:<addr>")."""

    __tablename__ = "login_guard"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Appeal(Base):
    """人工申诉: someone claims an ID number already bound to another account."""

    __tablename__ = "appeal"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), index=True)
    real_name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(EncryptedString(200))
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    evidence_file_id: Mapped[str] = mapped_column(String(36))
    # pending (the admins' review runs in workflow: bpmn/realname_appeal.bpmn) | approved |
    # rejected | withdrawn — recorded from workflow.instance.completed, never decided here.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    comment: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class Profile(Base):
    """A person's profile (个人信息): the sections the seeds list, kept as validated JSON."""

    __tablename__ = "profile"

    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), primary_key=True)
    general: Mapped[dict] = mapped_column(JSON, default=dict)
    education: Mapped[list] = mapped_column(JSON, default=list)
    study_history: Mapped[list] = mapped_column(JSON, default=list)
    work_history: Mapped[list] = mapped_column(JSON, default=list)
    photo_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QrLogin(Base):
    """A QR-code sign-in: the PC shows it, an app session scans and confirms it."""

    __tablename__ = "qr_login"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    poll_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CertChallenge(Base):
    """A nonce a unit's USBKey certificate signs to sign in (single use, short-lived)."""

    __tablename__ = "cert_challenge"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OidcState(Base):
    """One third-party sign-in under way: state, nonce and PKCE verifier (single use)."""

    __tablename__ = "oidc_state"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    link_account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ExternalIdentity(Base):
    """An account at a third-party provider (国家政务服务平台, 支付宝, ...) linked to ours."""

    __tablename__ = "external_identity"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_external_identity"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BusinessRecord(Base):
    """A finished business on a person's record, written from workflow.instance.completed."""

    __tablename__ = "business_record"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecoveryCode(Base):
    """A staff account's single-use recovery codes (given once at TOTP enrolment): a lost
    authenticator still signs in, once per code. Only a hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), ForeignKey("account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
