"""Loads the demo data through each service's own use cases (so the events go out on the
bus like any other change). Idempotent: what exists is left alone.

    python -m demo.seed      (stack: RENCAI_<SERVICE>_DATABASE_URL for each service)
"""
from __future__ import annotations

import os
from datetime import date, timedelta

from sqlalchemy import select

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common import pii
from services.common.config import SERVICES, Settings
from services.common.db import Database
from services.identity import service as identity
from services.identity.model import BUS as IDENTITY_BUS, Account
from services.orgs import service as orgs
from services.orgs.model import BUS as ORGS_BUS, Affiliation, Org, UnitCertification
from services.workflow.businesses.competitions import service as competitions
from services.workflow.model import Competition

from . import data


def seed(identity_db: Database, identity_outbox: Outbox, orgs_db: Database,
         orgs_outbox: Outbox) -> None:
    with orgs_db.reading() as session:
        known_orgs = set(session.scalars(select(Org.id)))
        affiliated = set(session.scalars(select(Affiliation.person_id)))
    for org_id, kind, name, parent in data.ORGS:
        if org_id not in known_orgs:
            credit_code, association_code, district = data.UNIT_DETAILS.get(
                org_id, (None, None, None))
            orgs.register_org(orgs_db, orgs_outbox, org_id=org_id, kind=kind, name=name,
                              parent_id=parent, district_id=district, credit_code=credit_code,
                              association_code=association_code)
    with orgs_db.reading() as session:
        certified = set(session.scalars(select(UnitCertification.unit_id).where(
            UnitCertification.status == "approved")))
    for unit_id in data.CERTIFIED_UNITS:
        if unit_id not in certified:
            account = next(a[0] for a in data.ACCOUNTS if a[2] == "unit" and a[4] == unit_id)
            orgs.certify_directly(orgs_db, orgs_outbox, unit_id, account)
    for person_id, person_name, unit_id in data.AFFILIATIONS:
        if person_id not in affiliated:
            orgs.approve_affiliation_directly(orgs_db, orgs_outbox, person_id=person_id,
                                              person_name=person_name, unit_id=unit_id)
    with identity_db.reading() as session:
        known_accounts = set(session.scalars(select(Account.id)))
    for account_id, username, kind, name, org_id, roles, _ in data.ACCOUNTS:
        if account_id not in known_accounts:
            phone, id_number = data.PERSON_DETAILS.get(account_id, (None, None))
            # A unit's credit code maps its digital certificate to its account.
            credit_code = data.UNIT_DETAILS.get(org_id, (None,))[0] \
                if kind == "unit" else None
            identity.create_account(identity_db, identity_outbox, account_id=account_id,
                                    username=username, kind=kind, display_name=name,
                                    password=data.DEMO_PASSWORD, org_id=org_id, roles=roles,
                                    phone=phone, id_number=id_number, real_name=name,
                                    credit_code=credit_code,
                                    totp_secret=data.DEMO_TOTP_SECRETS.get(username))


def seed_competition(workflow_db: Database) -> None:
    """The committee publishes one competition plan through workflow's use cases."""
    with workflow_db.reading() as session:
        if session.scalars(select(Competition.id)).first():
            return
    name, organiser, location, occupations = data.COMPETITION
    today = date.today()
    committee = Claims(sub=data.COMMITTEE_STAFF, kind="staff", name="竞赛组委会审核员",
                       org=data.COMMITTEE, roles=("committee",))
    plan = competitions.create_competition(workflow_db, committee, {
        "name": name, "organiser": organiser, "location": location,
        "description": "个人报名：个人身份信息确认 → 个人基本信息维护 → 报名 → 提交审核。",
        "registration_opens": today - timedelta(days=7),
        "registration_closes": today + timedelta(days=60),
        "starts_on": today + timedelta(days=75), "ends_on": today + timedelta(days=77),
        "occupations": [{"code": code, "name": title, "levels": levels}
                        for code, title, levels in occupations]})
    competitions.change_competition_state(workflow_db, committee, plan["id"], "publish")


def demo_logins() -> list[tuple[str, str, str]]:
    return [(username, data.DEMO_PASSWORD, purpose)
            for _, username, _, _, _, _, purpose in data.ACCOUNTS]


if __name__ == "__main__":
    urls = {name: os.environ[f"RENCAI_{name.upper()}_DATABASE_URL"] for name in SERVICES}
    # the same key the services use (and refused the same way when missing in the stack)
    pii.configure_for(Settings.from_env("identity", database_url=urls["identity"]))
    seed(Database(urls["identity"]), Outbox(IDENTITY_BUS.outbox, "identity"),
         Database(urls["orgs"]), Outbox(ORGS_BUS.outbox, "orgs"))
    seed_competition(Database(urls["workflow"]))
    print("demo data loaded")
