"""政工职评 and 人工申诉 against the real stack (PostgreSQL, RabbitMQ, processes): the same
scenarios as tests/e2e/test_title_appeal.py, with the events really crossing RabbitMQ
(identity.appeal.filed → workflow; workflow.instance.completed → identity)."""
import itertools
import os
import uuid

import pytest

from tests import flows_title_appeal as flows


@pytest.fixture
def make_person(stack):
    """A person account created in the stack's identity database (as registration would); its
    identity.account.created goes out through identity's outbox relay."""
    from demo.data import DEMO_PASSWORD
    from services.common import pii
    from services.common.bus import Outbox
    from services.common.db import Database
    from services.identity.model import BUS
    from services.identity.service import create_account

    pii.configure(stack.pii_key, stack.tmp)  # the stack's key, not the embedded tests' one
    db, outbox = Database(stack.urls["identity"]), Outbox(BUS.outbox, "identity")
    counter = itertools.count(1)
    run = uuid.uuid4().int % 10000

    def make(id_number):
        suffix = f"{run:04d}{next(counter):02d}"
        username = f"appeal{suffix}"
        create_account(db, outbox, username=username, kind="person", display_name=username,
                       password=DEMO_PASSWORD, phone=f"136{suffix:0>8}"[:11],
                       id_number=id_number, real_name="孙悟空" if id_number else None)
        return username

    yield make
    db.dispose()
    pii.configure(os.environ["RENCAI_PII_KEY"], stack.tmp)  # the run's key again


def test_title_evaluation_two_stages(gateway):
    flows.title_approved(gateway)
    flows.exemption_rule(gateway)
    flows.one_open_per_person(gateway)


@pytest.mark.parametrize("index", [1, 4], ids=["qualification-supervisor", "materials-bureau"])
def test_title_evaluation_rejected_or_returned(gateway, index):
    flows.title_rejected_at(gateway, index)
    flows.title_returned_at(gateway, index)


def test_appeal_reviewed_in_workflow_applied_in_identity(gateway, make_person):
    flows.appeal_only_from_identity(gateway)
    flows.appeal_rejected(gateway, make_person)
    flows.appeal_approved(gateway, make_person)
