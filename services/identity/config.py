"""identity's own settings (environment variables, prefix RENCAI_), beside the kit's."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"RENCAI_{name}", default))


@dataclass(frozen=True)
class IdentityConfig:
    # An HTTP SMS gateway (production). The development sender, which keeps every message in
    # the sms_message table and serves it on GET /dev/sms, exists only in development: without
    # this URL anywhere else identity refuses to start.
    sms_url: str | None = None
    # RENCAI_ENV=development (make run, the embedded system, the tests): the development SMS
    # sender and the check-digit-only name check are allowed. Anything else is a deployment.
    development: bool = False
    # The authoritative name ↔ ID-number check (e.g. the public-security identity service),
    # RENCAI_NAME_CHECK_URL: POST {name, id_number} -> {"match": true|false}. Unset: only in
    # development, where GB 11643's check digit alone passes; a deployment refuses to start.
    name_check_url: str | None = None
    # "always": every password login needs a graphic captcha; "adaptive": only once the
    # account or the IP has failed recently (scripts and the demo sign in without one).
    login_captcha: str = "adaptive"
    captcha_seconds: int = 120
    sms_code_seconds: int = 300
    sms_resend_seconds: int = 60
    sms_per_phone_per_day: int = 10
    sms_per_ip_per_hour: int = 30
    sms_max_attempts: int = 5
    account_lock_failures: int = 5
    ip_lock_failures: int = 20
    # The captcha follows an account's own failures; an address (an office behind one NAT
    # signs in from one) asks everyone for it only after this many failures, before its lock.
    ip_captcha_failures: int = 10
    failure_window_minutes: int = 15
    lock_minutes: int = 15
    qr_seconds: int = 120
    # PEM file of the CA certificates unit (USBKey) certificates must chain to; unset:
    # certificate sign-in is switched off.
    unit_ca_file: str | None = None
    cert_challenge_seconds: int = 120
    # Third-party sign-in (OIDC): {name: {title, issuer, client_id, client_secret,
    # redirect_uri}}, from RENCAI_OIDC_PROVIDERS (JSON).
    oidc_providers: dict = field(default_factory=dict)
    oidc_state_seconds: int = 600
    # Retention (swept from identity's bus worker every retention_sweep_seconds): SMS
    # messages and codes after RENCAI_RETENTION_SMS_DAYS (at least 1: the daily sending
    # limits count them), captchas and sign-in challenges and idle lockout counters
    # RENCAI_RETENTION_CHALLENGE_HOURS after they expired, refresh tokens (sessions)
    # RENCAI_RETENTION_SESSION_DAYS after they expired; denylist entries once their token
    # has expired.
    retention_sms_days: int = 30
    retention_challenge_hours: int = 24
    retention_session_days: int = 30
    retention_sweep_seconds: int = 3600

    @classmethod
    def from_env(cls, **overrides) -> "IdentityConfig":
        values = dict(
            sms_url=os.environ.get("RENCAI_SMS_URL") or None,
            development=os.environ.get("RENCAI_ENV", "").strip().lower() == "development",
            name_check_url=os.environ.get("RENCAI_NAME_CHECK_URL") or None,
            login_captcha=os.environ.get("RENCAI_LOGIN_CAPTCHA", "adaptive"),
            account_lock_failures=_int("LOGIN_LOCK_FAILURES", 5),
            ip_lock_failures=_int("LOGIN_IP_LOCK_FAILURES", 20),
            ip_captcha_failures=_int("LOGIN_IP_CAPTCHA_FAILURES", 10),
            lock_minutes=_int("LOGIN_LOCK_MINUTES", 15),
            unit_ca_file=os.environ.get("RENCAI_UNIT_CA_FILE") or None,
            oidc_providers=json.loads(os.environ.get("RENCAI_OIDC_PROVIDERS") or "{}"),
            retention_sms_days=max(1, _int("RETENTION_SMS_DAYS", 30)),
            retention_challenge_hours=_int("RETENTION_CHALLENGE_HOURS", 24),
            retention_session_days=_int("RETENTION_SESSION_DAYS", 30),
            retention_sweep_seconds=_int("RETENTION_SWEEP_SECONDS", 3600),
        )
        values.update(overrides)
        return cls(**values)
