"""identity's own settings (environment variables, prefix RENCAI_), beside the kit's."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"RENCAI_{name}", default))


@dataclass(frozen=True)
class IdentityConfig:
    # An HTTP SMS gateway (production); unset: the development sender, which keeps every
    # message in the sms_message table and serves it on GET /dev/sms.
    sms_url: str | None = None
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

    @classmethod
    def from_env(cls, **overrides) -> "IdentityConfig":
        values = dict(
            sms_url=os.environ.get("RENCAI_SMS_URL") or None,
            login_captcha=os.environ.get("RENCAI_LOGIN_CAPTCHA", "adaptive"),
            account_lock_failures=_int("LOGIN_LOCK_FAILURES", 5),
            ip_lock_failures=_int("LOGIN_IP_LOCK_FAILURES", 20),
            ip_captcha_failures=_int("LOGIN_IP_CAPTCHA_FAILURES", 10),
            lock_minutes=_int("LOGIN_LOCK_MINUTES", 15),
            unit_ca_file=os.environ.get("RENCAI_UNIT_CA_FILE") or None,
            oidc_providers=json.loads(os.environ.get("RENCAI_OIDC_PROVIDERS") or "{}"),
        )
        values.update(overrides)
        return cls(**values)
