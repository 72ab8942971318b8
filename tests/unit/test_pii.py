"""Personal information: encrypted at rest, looked up by blind index, masked on screen."""
import base64
import os

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from services.common import pii
from services.common.db import Database


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
    assert number not in raw and raw.startswith("v1:")
    assert found == number


def test_a_value_under_another_key_does_not_decrypt(tmp_path):
    sealed = pii.encrypt("13812345678")
    pii.configure(base64.b64encode(os.urandom(32)).decode(), tmp_path)
    with pytest.raises(InvalidTag):
        pii.decrypt(sealed)


def test_embedded_mode_keeps_one_generated_key(tmp_path):
    pii.configure(None, tmp_path / "var")
    sealed = pii.encrypt("13812345678")
    pii.configure(None, tmp_path / "var")  # a restart reads the same key back
    assert pii.decrypt(sealed) == "13812345678"


@pytest.mark.parametrize("value, masked", [
    ("110105194912310021", "110***********0021"), ("13812345678", "138****5678"),
    ("1234", "****"), (None, None), ("", "")])
def test_masking(value, masked):
    assert pii.mask(value) == masked
