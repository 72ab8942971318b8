"""Personal information: encrypted at rest, looked up by blind index, masked on screen; its
key kept apart from the data, named in every sealed value, and rotated for real."""
import base64
import json
import os
import stat
import subprocess
import sys

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text, insert, select, text

from services.common import pii
from services.common.config import PROJECT_ROOT, Settings
from services.common.db import Database
from services.common.keyring import KeyConfigError, key_id, new_key


@pytest.fixture(autouse=True)
def key(tmp_path):
    pii.configure(base64.b64encode(os.urandom(32)).decode(), tmp_path)
    yield
    pii.configure(os.environ["RENCAI_PII_KEY"], tmp_path)  # the run's key, for later tests


def test_round_trip_and_no_plaintext_at_rest(tmp_path):
    metadata = MetaData()
    person = Table("person", metadata, Column("id", Integer, primary_key=True),
                   Column("id_number", pii.EncryptedString(200)),
                   Column("id_number_index", String(64)))
    db = Database(f"sqlite:///{tmp_path}/p.db")
    metadata.create_all(db.engine)
    number = "11010519491231002X"
    with db.transaction() as session:
        session.execute(insert(person).values(id=1, id_number=number,
                                              id_number_index=pii.blind_index(number)))
    with db.reading() as session:
        raw = session.execute(text("SELECT id_number FROM person")).scalar()
        found = session.execute(select(person.c.id_number).where(
            person.c.id_number_index == pii.blind_index(number.lower()))).scalar()
    assert number not in raw and raw.startswith(f"v2:{pii._keyring.kid}:")
    assert found == number


def test_a_value_under_another_key_does_not_decrypt(tmp_path):
    sealed = pii.encrypt("13812345678")
    pii.configure(base64.b64encode(os.urandom(32)).decode(), tmp_path)
    with pytest.raises(InvalidTag):
        pii.decrypt(sealed)


def test_embedded_mode_keeps_one_generated_key_apart_from_the_databases(tmp_path, monkeypatch,
                                                                        capsys):
    for name in ("RENCAI_PII_KEY", "RENCAI_PII_KEY_FILE", "RENCAI_KEYS_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env("identity", var_dir=tmp_path / "var",
                                 database_url=f"sqlite:///{tmp_path / 'var' / 'identity.db'}")
    pii.configure_for(settings)
    sealed = pii.encrypt("13812345678")
    key_file = tmp_path / "var" / "keys" / "pii_key.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "development key RENCAI_PII_KEY generated" in capsys.readouterr().err
    pii.configure_for(settings)  # a restart reads the same key back
    assert pii.decrypt(sealed) == "13812345678"


def test_an_older_checkout_s_key_beside_the_databases_moves_to_the_keys_directory(
        tmp_path, monkeypatch):
    monkeypatch.delenv("RENCAI_PII_KEY", raising=False)
    var = tmp_path / "var"
    var.mkdir()
    (var / "pii.key").write_text(new_key())
    pii.configure(None, var / "keys", legacy_file=var / "pii.key")
    assert not (var / "pii.key").exists() and (var / "keys" / "pii_key.key").exists()


@pytest.mark.parametrize("configured", [None, "cmVuY2FpLWRlbW8tcGlpLWtleS0zMi1ieXRlcy0hISE=",
                                        base64.b64encode(b"rencai-tests-pii-key-32-bytes-!!").decode(),
                                        "c2hvcnQ="])
def test_the_stack_refuses_a_missing_demo_or_malformed_key(tmp_path, monkeypatch, configured):
    monkeypatch.delenv("RENCAI_PII_KEY", raising=False)
    if configured:
        monkeypatch.setenv("RENCAI_PII_KEY", configured)
    settings = Settings.from_env("identity", var_dir=tmp_path,
                                 database_url="postgresql+psycopg://rencai_identity@db/rencai_identity")
    assert settings.development_keys_dir is None
    with pytest.raises(KeyConfigError, match="RENCAI_PII_KEY"):
        pii.configure_for(settings)
    assert not (tmp_path / "keys").exists()


def test_a_service_refuses_to_start_in_the_stack_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENCAI_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), RENCAI_VAR_DIR=str(tmp_path),
               RENCAI_DATABASE_URL="postgresql+psycopg://rencai_orgs@127.0.0.1:1/rencai_orgs")
    done = subprocess.run([sys.executable, "-c", "import services.orgs.wsgi"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert done.returncode != 0
    assert b"RENCAI_PII_KEY (or RENCAI_PII_KEY_FILE) is required" in done.stderr


def test_a_key_from_a_mounted_secret_file(tmp_path, monkeypatch):
    key = new_key()
    (tmp_path / "pii_key").write_text(key + "\n")
    monkeypatch.delenv("RENCAI_PII_KEY", raising=False)
    monkeypatch.setenv("RENCAI_PII_KEY_FILE", str(tmp_path / "pii_key"))
    settings = Settings.from_env("orgs", database_url="postgresql+psycopg://x@db/rencai_orgs")
    pii.configure_for(settings)
    assert pii.encrypt("x").startswith(f"v2:{key_id(base64.b64decode(key))}:")
    monkeypatch.setenv("RENCAI_PII_KEY", key)
    with pytest.raises(KeyConfigError, match="not both"):
        Settings.from_env("orgs")


def test_values_sealed_before_key_ids_still_open(tmp_path):
    """The v1 format (no key id) that databases written before hold."""
    key = new_key()
    pii.configure(key, tmp_path)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    legacy = "v1:" + base64.b64encode(nonce + AESGCM(base64.b64decode(key)).encrypt(
        nonce, b"13812345678", None)).decode()
    assert pii.decrypt(legacy) == "13812345678"


def test_rotation_re_seals_everything_and_rebuilds_the_blind_indexes(tmp_path):
    """Seal under key 1, rotate to key 2, read back with key 2 alone: columns, their indexes,
    and sealed fields inside JSON documents (workflow's applications, engine state)."""
    metadata = MetaData()
    person = Table("person", metadata, Column("id", Integer, primary_key=True),
                   Column("id_number", pii.EncryptedString(200)),
                   Column("id_number_index", String(64)),
                   Column("phone", pii.EncryptedString(200)),
                   Column("application", JSON), Column("serialized", Text))
    db = Database(f"sqlite:///{tmp_path}/p.db")
    metadata.create_all(db.engine)
    key1, key2 = new_key(), new_key()
    number, phone = "11010519491231002X", "13812345678"

    def protected():
        return {"id_number": pii.mask(number), "id_number_sealed": pii.encrypt(number),
                "id_number_index": pii.blind_index(number)}

    pii.configure(key1, tmp_path)
    with db.transaction() as session:
        session.execute(insert(person).values(
            id=1, id_number=number, id_number_index=pii.blind_index(number), phone=phone,
            application=protected(),
            serialized=json.dumps({"data": {"people": [protected()]}})))
        session.execute(insert(person).values(id=2, id_number=None, phone=None,
                                              application={}, serialized="not json"))
    pii.configure(key2, tmp_path, old_keys=key1)
    assert pii.rotate(db, metadata) == 1
    assert pii.rotate(db, metadata) == 0  # nothing left under key 1

    pii.configure(key2, tmp_path)  # key 1 is no longer needed
    kid1 = key_id(base64.b64decode(key1))
    with db.reading() as session:
        raw = session.execute(text("SELECT id_number, phone, application, serialized "
                                   "FROM person WHERE id = 1")).one()
        assert kid1 not in "".join(raw)
        found = session.execute(select(person).where(
            person.c.id_number_index == pii.blind_index(number))).one()
    assert (found.id_number, found.phone) == (number, phone)
    for document in (found.application, json.loads(found.serialized)["data"]["people"][0]):
        assert pii.decrypt(document["id_number_sealed"]) == number
        assert document["id_number_index"] == pii.blind_index(number)
    pii.configure(key1, tmp_path)
    with pytest.raises(InvalidTag):
        pii.decrypt(found.application["id_number_sealed"])


def test_the_rotate_command_on_identity(tmp_path):
    """`python -m services.common.pii rotate identity` on a real identity database: the person
    is found by ID number and phone under key 2 alone, and re-announced for other services."""
    from services.common.bus import Outbox
    from services.common.migrate import upgrade
    from services.identity.model import BUS, Account
    from services.identity.service.accounts import by_id_number, by_phone, create_account

    url = f"sqlite:///{tmp_path}/identity.db"
    upgrade("identity", url)
    db = Database(url)
    key1, key2 = new_key(), new_key()
    pii.configure(key1, tmp_path)
    account = create_account(db, Outbox(BUS.outbox, "identity"), username="rotated",
                             kind="person", display_name="张三", password="Secret123",
                             phone="13800009999", id_number="11010519491231002X")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RENCAI_DATABASE_URL": url,
           "RENCAI_VAR_DIR": str(tmp_path), "RENCAI_PII_KEY": key2, "RENCAI_PII_KEY_OLD": key1}
    done = subprocess.run([sys.executable, "-m", "services.common.pii", "rotate", "identity"],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert b"identity: 1 rows re-sealed" in done.stdout

    pii.configure(key2, tmp_path)
    with db.reading() as session:
        assert by_id_number(session, "11010519491231002x").id == account.id
        assert by_phone(session, "13800009999").id == account.id
        assert session.get(Account, account.id).id_number == "11010519491231002X"
        announced = [json.loads(envelope) for envelope in session.scalars(
            select(BUS.outbox.c.envelope).where(BUS.outbox.c.type == "identity.person.verified"))]
    assert announced[-1]["data"]["method"] == "rekeyed"
    assert announced[-1]["data"]["id_number_index"] == pii.blind_index("11010519491231002X")
    db.dispose()


@pytest.mark.parametrize("value, masked", [
    ("110105194912310021", "110***********0021"), ("13812345678", "138****5678"),
    ("1234", "****"), (None, None), ("", "")])
def test_masking(value, masked):
    assert pii.mask(value) == masked


def test_workflow_s_copy_of_the_index_follows_a_re_announcement(tmp_path):
    """identity.person.verified with method "rekeyed" (after a rotation) replaces workflow's
    copy of the blind index without pretending the person was verified again."""
    from services.common.migrate import upgrade
    from services.workflow.model import PersonRecord
    from services.workflow.events import on_person_verified

    url = f"sqlite:///{tmp_path}/workflow.db"
    upgrade("workflow", url)
    db = Database(url)
    verified = {"account_id": "p1", "name": "张三", "method": "id_card", "id_number_index": "a" * 64}
    with db.transaction() as session:
        on_person_verified(session, {"data": verified})
    with db.reading() as session:
        first = session.get(PersonRecord, "p1").verified_at
    with db.transaction() as session:
        on_person_verified(session, {"data": {**verified, "method": "rekeyed",
                                              "id_number_index": "b" * 64}})
    with db.reading() as session:
        row = session.get(PersonRecord, "p1")
        assert (row.id_number_index, row.verified_at) == ("b" * 64, first)
    db.dispose()
