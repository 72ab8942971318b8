"""注销 in identity: what each of its tables keeps, and the event the others act on."""
import json

import pytest
from sqlalchemy import select

from services.common.pii import blind_index

from services.common.audit import LOG
from services.identity.model import (BUS, Account, Consent, RefreshToken,
                                     RevokedToken, SmsMessage)
from tests.service.identity_harness import Harness, new_id_number


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    harness = Harness(tmp_path_factory.mktemp("identity-closure"))
    yield harness
    harness.close()


def test_closing_erases_the_person_keeps_records_and_frees_the_phone(h):
    done = h.register("closeme001", password="Shu1yuan")
    number = new_id_number()
    assert h.call("POST", "/me/real-name", {"consent": True, "name": "段誉", "id_number": number},
                  token=done["token"]).status_code == 200
    other_device = h.call("POST", "/tokens", {"username": "closeme001", "password": "Shu1yuan"}
                          ).get_json()
    exported = h.call("GET", "/me/export", token=done["token"]).get_json()
    assert exported["account"]["id_number"] == number and exported["consents"]

    reply = h.call("POST", "/me/closure", {"password": "Shu1yuan", "confirm": True},
                   token=done["token"])
    assert reply.status_code == 200 and reply.get_json()["message"] == "账号已注销"
    # Every session ends at once: both devices' access tokens, and their refresh tokens.
    for token in (done["token"], other_device["access_token"]):
        assert h.call("GET", "/me", token=token).status_code == 401
    assert h.call("POST", "/tokens/refresh", {"refresh_token": other_device["refresh_token"]}
                  ).status_code == 401
    assert h.call("POST", "/tokens", {"username": "closeme001", "password": "Shu1yuan"}
                  ).status_code == 401
    with h.db.reading() as session:
        account = session.get(Account, done["account_id"])
        assert account.closed_at is not None and account.display_name == "已注销用户"
        assert (account.phone, account.id_number, account.real_name) == (None, None, None)
        assert not session.scalars(select(RefreshToken).where(
            RefreshToken.account_id == account.id)).all()
        assert session.scalars(select(RevokedToken).where(
            RevokedToken.account_id == account.id)).all()
        assert not session.scalars(select(SmsMessage).where(
            SmsMessage.phone_index == blind_index(done["phone"]))).all()
        assert session.scalars(select(Consent).where(Consent.account_id == account.id)).all()
        actions = set(session.scalars(select(LOG.c.action).where(
            LOG.c.subject_id == account.id)))
        assert {"person.verified", "personal_data.exported", "account.closed"} <= actions
        events = [json.loads(row) for row in session.scalars(select(BUS.outbox.c.envelope))]
    assert [e["data"] for e in events if e["type"] == "identity.account.closed"] == [
        {"account_id": done["account_id"], "kind": "person"}]
    # The phone and the ID number are free for a new account of the same person.
    again = h.register("closeme002", phone=done["phone"])
    assert h.call("POST", "/me/real-name", {"consent": True, "name": "段誉", "id_number": number},
                  token=again["token"]).status_code == 200
