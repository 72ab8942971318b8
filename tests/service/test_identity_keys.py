"""identity's signing keys kept apart from its data: sealed at rest under the key-encryption
key (RENCAI_SIGNING_KEK), re-sealed when the KEK changes, refused to start without one in the
stack; the plain PEM keys an older version stored are retired by the migration."""
import base64
import os
import subprocess
import sys

import pytest
from alembic import command
from cryptography.exceptions import InvalidTag
from sqlalchemy import create_engine, text

from services.common.config import PROJECT_ROOT
from services.common.keyring import key_id, new_key
from services.common.migrate import alembic_config
from services.identity.service import tokens
from tests.service.identity_harness import Harness


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path / "var")
    yield harness
    harness.close()


@pytest.fixture
def restore_kek(h):
    yield
    tokens.configure_kek(h.settings)  # the run's KEK again, for later tests


def _raw_keys(h) -> list[str]:
    with h.db.reading() as session:
        return session.scalars(text("SELECT private_key_sealed FROM signing_key")).all()


def test_the_signing_key_is_sealed_under_the_kek_at_rest(h, restore_kek, monkeypatch):
    person = h.register("sealed01")
    assert h.call("GET", "/me", token=person["token"]).status_code == 200
    kek = base64.b64decode(os.environ["RENCAI_SIGNING_KEK"])
    [raw] = _raw_keys(h)
    assert "PRIVATE KEY" not in raw and raw.startswith(f"v2:{key_id(kek)}:")
    # The database alone does not sign: another KEK cannot open the key.
    monkeypatch.setenv("RENCAI_SIGNING_KEK", new_key())
    tokens.configure_kek(h.settings)
    with pytest.raises(InvalidTag):
        tokens.jwks(h.db)


def test_a_new_kek_re_seals_the_signing_keys_and_the_old_one_goes(h, restore_kek, monkeypatch):
    person = h.register("rewrap01")
    old_kek, new_kek = os.environ["RENCAI_SIGNING_KEK"], new_key()
    monkeypatch.setenv("RENCAI_SIGNING_KEK", new_kek)
    monkeypatch.setenv("RENCAI_SIGNING_KEK_OLD", old_kek)
    tokens.configure_kek(h.settings)
    assert tokens.rewrap_signing_keys(h.db) == 1
    assert tokens.rewrap_signing_keys(h.db) == 0
    monkeypatch.delenv("RENCAI_SIGNING_KEK_OLD")
    tokens.configure_kek(h.settings)
    assert all(raw.startswith(f"v2:{key_id(base64.b64decode(new_kek))}:") for raw in _raw_keys(h))
    # The token signed before still verifies; new sign-ins are signed with the re-sealed key.
    assert h.call("GET", "/me", token=person["token"]).status_code == 200
    again = h.call("POST", "/tokens", {"username": "rewrap01", "password": "Shu1yuan"})
    assert again.status_code == 201, again.get_json()


@pytest.mark.parametrize("kek", [None, base64.b64encode(b"rencai-demo-signing-kek-32-bytes").decode()])
def test_identity_refuses_to_start_in_the_stack_without_a_real_kek(tmp_path, kek):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENCAI_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), RENCAI_VAR_DIR=str(tmp_path), RENCAI_PII_KEY=new_key(),
               RENCAI_DATABASE_URL="postgresql+psycopg://rencai_identity@127.0.0.1:1/rencai_identity",
               # the outside gateways are configured: the KEK is what is missing
               RENCAI_SMS_URL="http://127.0.0.1:1/sms", RENCAI_NAME_CHECK_URL="http://127.0.0.1:1/name")
    if kek:
        env["RENCAI_SIGNING_KEK"] = kek
    done = subprocess.run([sys.executable, "-c", "import services.identity.wsgi"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert done.returncode != 0
    assert b"RENCAI_SIGNING_KEK" in done.stderr
    assert not (tmp_path / "keys").exists()


def test_the_migration_retires_plain_pem_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    config = alembic_config("identity", url)
    command.upgrade(config, "57d83559468b")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO signing_key (kid, private_pem, created_at) VALUES "
                                "('old', '-----BEGIN PRIVATE KEY-----', '2026-01-01')"))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM signing_key")).scalar() == 0
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(signing_key)"))]
    assert "private_key_sealed" in columns and "private_pem" not in columns
    engine.dispose()
