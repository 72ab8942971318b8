"""identity's own settings (environment variables, prefix RENCAI_), beside the kit's: read
by the kit's one loader (services/common/config.py, `env()` names each variable)."""
from __future__ import annotations

from dataclasses import dataclass

from services.common.config import FromEnv, development, env


@dataclass(frozen=True)
class IdentityConfig(FromEnv):
    # An HTTP SMS gateway (production). The development sender, which keeps every message in
    # the sms_message table and serves it on GET /dev/sms, exists only in development: without
    # this URL anywhere else identity refuses to start.
    sms_url: str | None = env("SMS_URL", None)
    # RENCAI_ENV=development (make run, the embedded system, the tests): the development SMS
    # sender and the check-digit-only name check are allowed. Anything else is a deployment.
    development: bool = env("ENV", False, parse=development)
    # The authoritative name ↔ ID-number check (e.g. the public-security identity service),
    # RENCAI_NAME_CHECK_URL: POST {name, id_number} -> {"match": true|false}. Unset: only in
    # development, where GB 11643's check digit alone passes; a deployment refuses to start.
    name_check_url: str | None = env("NAME_CHECK_URL", None)
    # "always": every password login needs a graphic captcha; "adaptive": only once the
    # account or the IP has failed recently (scripts and the demo sign in without one).
    login_captcha: str = env("LOGIN_CAPTCHA", "adaptive")
    captcha_seconds: int = 120
    sms_code_seconds: int = 300
    sms_resend_seconds: int = 60
    sms_per_phone_per_day: int = 10
    sms_per_ip_per_hour: int = 30
    sms_max_attempts: int = 5
    account_lock_failures: int = env("LOGIN_LOCK_FAILURES", 5)
    ip_lock_failures: int = env("LOGIN_IP_LOCK_FAILURES", 20)
    # The captcha follows an account's own failures; an address (an office behind one NAT
    # signs in from one) asks everyone for it only after this many failures, before its lock.
    ip_captcha_failures: int = env("LOGIN_IP_CAPTCHA_FAILURES", 10)
    failure_window_minutes: int = 15
    lock_minutes: int = env("LOGIN_LOCK_MINUTES", 15)
    qr_seconds: int = 120
    # PEM file of the CA certificates unit (USBKey) certificates must chain to; unset:
    # certificate sign-in is switched off.
    unit_ca_file: str | None = env("UNIT_CA_FILE", None)
    cert_challenge_seconds: int = 120
    # Third-party sign-in (OIDC): {name: {title, issuer, client_id, client_secret,
    # redirect_uri}}, from RENCAI_OIDC_PROVIDERS (JSON).
    oidc_providers: dict = env("OIDC_PROVIDERS", factory=dict)
    oidc_state_seconds: int = 600
    # Retention (swept from identity's bus worker every retention_sweep_seconds): SMS
    # messages and codes after RENCAI_RETENTION_SMS_DAYS (at least 1: the daily sending
    # limits count them), captchas and sign-in challenges and idle lockout counters
    # RENCAI_RETENTION_CHALLENGE_HOURS after they expired, refresh tokens (sessions)
    # RENCAI_RETENTION_SESSION_DAYS after they expired; denylist entries once their token
    # has expired.
    retention_sms_days: int = env("RETENTION_SMS_DAYS", 30,
                                  parse=lambda days: max(1, int(days)))
    retention_challenge_hours: int = env("RETENTION_CHALLENGE_HOURS", 24)
    retention_session_days: int = env("RETENTION_SESSION_DAYS", 30)
    retention_sweep_seconds: int = env("RETENTION_SWEEP_SECONDS", 3600)
