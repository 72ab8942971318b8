"""Retention: what identity keeps only for a while is swept from its bus worker's rounds."""
import uuid
from datetime import timedelta

import pytest

from services.common.db import utcnow
from services.common.pii import blind_index
from services.identity.config import IdentityConfig
from services.identity.model import (Captcha, LoginGuard, RefreshToken, RevokedToken, SmsCode,
                                     SmsMessage)
from tests.service.identity_harness import Harness


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path / "identity-retention", retention_sms_days=7,
                      retention_challenge_hours=2, retention_session_days=3,
                      retention_sweep_seconds=0)
    yield harness
    harness.close()


def _rows(h, now):
    """Pairs of (old, fresh) rows either side of each stated period."""
    phone = "13900009999"
    sms = lambda at: SmsMessage(id=str(uuid.uuid4()), phone=phone,  # noqa: E731
                                phone_index=blind_index(phone), text="验证码", created_at=at)
    code = lambda at: SmsCode(id=str(uuid.uuid4()), phone_index=blind_index(phone),  # noqa: E731
                              purpose="login", code_hash="x", ip="10.0.0.1", created_at=at,
                              expires_at=at + timedelta(minutes=5), attempts=0)
    captcha = lambda at: Captcha(id=str(uuid.uuid4()), answer="abcd", expires_at=at)  # noqa: E731
    account = h.register("retention1")["account_id"]
    refresh = lambda at: RefreshToken(  # noqa: E731
        id=str(uuid.uuid4()), token_hash=uuid.uuid4().hex, family_id=str(uuid.uuid4()),
        account_id=account, expires_at=at)
    revoked = lambda at: RevokedToken(jti=uuid.uuid4().hex, expires_at=at,  # noqa: E731
                                      revoked_at=now)
    guard = lambda at: LoginGuard(key=f"ip:{uuid.uuid4()}", failures=1,  # noqa: E731
                                  window_start=at)
    return [
        (sms(now - timedelta(days=8)), sms(now - timedelta(days=6))),
        (code(now - timedelta(days=8)), code(now - timedelta(days=6))),
        (captcha(now - timedelta(hours=3)), captcha(now - timedelta(hours=1))),
        (refresh(now - timedelta(days=4)), refresh(now - timedelta(days=2))),
        (revoked(now - timedelta(seconds=1)), revoked(now + timedelta(minutes=10))),
        (guard(now - timedelta(hours=3)), guard(now - timedelta(hours=1))),
    ]


def test_the_bus_worker_sweeps_each_kind_after_its_stated_period(h):
    now = utcnow()
    pairs = _rows(h, now)
    with h.db.transaction() as session:
        for old, fresh in pairs:
            session.add_all([old, fresh])
    h.kit.worker.pump()  # a round of the worker: its periodic jobs run (every 0 s here)
    with h.db.reading() as session:
        for old, fresh in pairs:
            key = old.__mapper__.primary_key[0].key
            assert session.get(type(old), getattr(old, key)) is None, type(old).__name__
            assert session.get(type(fresh), getattr(fresh, key)) is not None, type(fresh).__name__


def test_the_periods_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RENCAI_RETENTION_SMS_DAYS", "0")  # below the daily limits' need
    monkeypatch.setenv("RENCAI_RETENTION_CHALLENGE_HOURS", "6")
    monkeypatch.setenv("RENCAI_RETENTION_SESSION_DAYS", "10")
    monkeypatch.setenv("RENCAI_RETENTION_SWEEP_SECONDS", "600")
    config = IdentityConfig.from_env()
    assert (config.retention_sms_days, config.retention_challenge_hours,
            config.retention_session_days, config.retention_sweep_seconds) == (1, 6, 10, 600)
