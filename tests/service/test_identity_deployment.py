"""The development SMS sender (GET /dev/sms, every code readable without signing in) and the
check-digit-only name check exist only where development is asked for explicitly
(RENCAI_ENV=development). Started as the stack and compose start it, identity refuses to run
without a real SMS gateway and name check, and the gateway never routes /dev/ there."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.app import create_gateway
from gateway.backends import InProcessBackend
from services.common.auth import TokenVerifier
from services.common.config import PROJECT_ROOT
from services.identity.config import IdentityConfig
from services.identity.service.verification import (DevSmsSender, HttpSmsSender, NotConfigured,
                                                    make_name_check, make_sender)

BIN = Path(sys.executable).parent


def deployment_env(tmp_path, **extra) -> dict:
    """The environment Procfile.stack / compose give identity, minus what is being tested."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RENCAI_ENV", "RENCAI_SMS_URL", "RENCAI_NAME_CHECK_URL")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), RENCAI_BUS_URL="memory://",
               RENCAI_DATABASE_URL=f"sqlite:///{tmp_path / 'identity.db'}",
               RENCAI_VAR_DIR=str(tmp_path), **extra)
    return env


def started(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60)


def test_identity_under_gunicorn_refuses_to_start_without_an_sms_gateway(tmp_path):
    done = started([str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:0",
                    "services.identity.wsgi:app"], deployment_env(tmp_path))
    assert done.returncode != 0
    assert "identity refuses to start: RENCAI_SMS_URL is not set" in done.stderr
    # gunicorn loads the app before forking (preload_app, gunicorn.conf.py): the refusal comes
    # from gunicorn's own start, before any worker serves — or runs the bus (the bus worker,
    # which sends SMS too, is forked from the same master: services/common/worker.py).
    assert "Booting worker" not in done.stderr or "Worker failed to boot" in done.stderr


def test_identity_refuses_the_check_digit_alone_as_a_name_check(tmp_path):
    env = deployment_env(tmp_path, RENCAI_SMS_URL="http://127.0.0.1:9/sms")
    done = started([str(BIN / "python"), "-c", "import services.identity.wsgi"], env)
    assert done.returncode != 0
    assert "identity refuses to start: RENCAI_NAME_CHECK_URL is not set" in done.stderr


def test_development_must_be_asked_for_by_name(monkeypatch):
    for value, development in (("development", True), ("Development", True), ("dev", False),
                               ("production", False), ("", False)):
        monkeypatch.setenv("RENCAI_ENV", value)
        monkeypatch.delenv("RENCAI_SMS_URL", raising=False)
        monkeypatch.delenv("RENCAI_NAME_CHECK_URL", raising=False)
        config = IdentityConfig.from_env()
        assert config.development is development
        if development:
            assert isinstance(make_sender(config), DevSmsSender)
            assert make_name_check(config)("张三", "11010519491231002X") is True
        else:
            with pytest.raises(NotConfigured):
                make_sender(config)
            with pytest.raises(NotConfigured):
                make_name_check(config)
    assert isinstance(make_sender(IdentityConfig(sms_url="http://x/sms")), HttpSmsSender)


def test_the_gateway_never_routes_dev_sms_outside_development(tmp_path):
    from tests.service.identity_harness import Harness, new_phone

    h = Harness(tmp_path / "id")
    try:
        phone = new_phone()
        assert h.send_sms(phone).status_code == 201
        verifier = TokenVerifier(lambda: {"keys": []}, "rencai-identity")
        backends = {"identity": InProcessBackend("identity", h.app)}
        deployed = create_gateway(backends, verifier, development=False).test_client()
        anonymous = deployed.get(f"/api/identity/dev/sms?phone={phone}")
        assert anonymous.status_code == 404
        signed_in = deployed.get(f"/api/identity/dev/sms?phone={phone}",
                                 headers={"Authorization": "Bearer anything"})
        assert signed_in.status_code == 404
        development = create_gateway(backends, verifier, development=True).test_client()
        texts = development.get(f"/api/identity/dev/sms?phone={phone}").get_json()
        assert "验证码" in texts["messages"][0]["text"]
    finally:
        h.close()
