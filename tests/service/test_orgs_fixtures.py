"""The orgs service alone over HTTP in-process: a small hierarchy, tokens for every kind of
caller, and the bus events it wrote (shared by the test_orgs_* modules; no tests here)."""
from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from services.common.auth import TokenVerifier
from services.common.config import Settings
from services.common.migrate import upgrade
from services.common.pii import blind_index
from services.orgs import create_app, service
from services.orgs.model import BUS

KID = "orgs-test-key"
CODE_A, CODE_B = "AAAA2222", "BBBB3333"
CREDIT_A = "121100004000000014"


@dataclass
class World:
    client: object
    app: object
    token: object
    bureau: str
    district: str
    supervisor: str
    other_supervisor: str
    unit: str  # under supervisor
    sibling: str  # also under supervisor
    foreign: str  # under other_supervisor

    @property
    def kit(self):
        return self.app.extensions["rencai.kit"]

    def as_(self, who: str, sub: str | None = None, name: str = "张三") -> dict:
        return self.token(who, sub, name)

    def call(self, method: str, path: str, who: dict, json_body=None):
        response = self.client.open(path, method=method, json=json_body, headers=who)
        return response.status_code, response.get_json(silent=True)

    def events(self, type_: str | None = None) -> list[dict]:
        table = BUS.outbox
        with self.kit.db.reading() as session:
            rows = session.execute(select(table.c.envelope).order_by(table.c.seq)).scalars()
            found = [json.loads(row) for row in rows]
        return [e for e in found if type_ is None or e["type"] == type_]

    def deliver(self, type_: str, data: dict) -> None:
        """Hands the service an event as its bus consumer would."""
        consumer = self.kit.worker.consumer
        consumer.apply({"id": str(uuid.uuid4()), "type": type_, "producer": "workflow",
                        "subject": data.get("instance_id", ""), "data": data,
                        "occurred_at": "2026-11-22T10:00:00+00:00", "trace_id": "t"})


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def migrated_orgs_db(tmp_path_factory) -> Path:
    """The orgs schema, migrated once; every test starts from a copy."""
    path = tmp_path_factory.mktemp("orgs-template") / "orgs.db"
    upgrade("orgs", f"sqlite:///{path}")
    return path


@pytest.fixture
def world(tmp_path, signing_key, migrated_orgs_db) -> World:
    shutil.copy(migrated_orgs_db, tmp_path / "orgs.db")
    settings = Settings.from_env("orgs", database_url=f"sqlite:///{tmp_path}/orgs.db",
                                 var_dir=tmp_path)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    jwk.update(kid=KID, alg="RS256", use="sig")
    app = create_app(settings, verifier=TokenVerifier(lambda: {"keys": [jwk]}, "rencai-identity"))
    kit = app.extensions["rencai.kit"]

    def register(kind, name, parent=None, **extra):
        return service.register_org(kit.db, kit.outbox, kind=kind, name=name, parent_id=parent,
                                    **extra).id

    bureau = register("bureau", "市局")
    district = register("district", "朝阳区委人才办", bureau)
    supervisor = register("supervisor", "市科委", bureau)
    other = register("supervisor", "市教委", bureau)
    unit = register("unit", "北京智能制造研究院", supervisor, district_id=district,
                    credit_code=CREDIT_A, association_code=CODE_A)
    sibling = register("unit", "北京星河软件有限公司", supervisor)
    foreign = register("unit", "北京市第一实验中学", other, association_code=CODE_B)

    roles = {
        "admin": ("staff", bureau, ["admin"]),
        "unit": ("unit", unit, ["unit"]),
        "sibling": ("unit", sibling, ["unit"]),
        "foreign": ("unit", foreign, ["unit"]),
        "supervisor": ("staff", supervisor, ["supervisor"]),
        "other_supervisor": ("staff", other, ["supervisor"]),
        "bureau": ("staff", bureau, ["bureau"]),
        "person": ("person", None, []),
    }

    def token(who: str, sub: str | None = None, name: str = "张三") -> dict:
        kind, org, role_list = roles[who]
        now = int(time.time())
        claims = {"iss": "rencai-identity", "aud": "rencai", "sub": sub or str(uuid.uuid4()),
                  "typ": "access", "kind": kind, "name": name, "org": org, "roles": role_list,
                  "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}  # as identity's
        encoded = jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": KID})
        return {"Authorization": f"Bearer {encoded}"}

    yield World(app.test_client(), app, token, bureau, district, supervisor, other, unit,
                sibling, foreign)
    kit.db.dispose()


def verified(world: World, person_id: str, id_number: str | None,
             phone: str | None = None) -> None:
    """identity.person.verified for the person, as identity publishes it (blind indexes)."""
    world.deliver("identity.person.verified", {
        "account_id": person_id, "name": "张三", "method": "id_card",
        "id_number_index": blind_index(id_number) if id_number else None,
        "phone_index": blind_index(phone) if phone else None})


def request_link(world: World, person_id: str, name: str = "张三", code: str = CODE_A,
                 id_number: str | None = "11010519491231002X") -> dict:
    if id_number:
        verified(world, person_id, id_number)
    status, body = world.call("POST", "/me/affiliation-requests",
                              world.as_("person", person_id, name),
                              {"association_code": code, "id_number": id_number})
    assert status == 201, body
    return body


def linked(world: World, person_id: str, name: str = "张三", **kwargs) -> str:
    """An approved employee of world.unit; returns the affiliation id."""
    affiliation_id = request_link(world, person_id, name, **kwargs)["affiliation_id"]
    status, body = world.call("POST", f"/units/{world.unit}/affiliations/{affiliation_id}"
                              "/approve", world.as_("unit"), {})
    assert status == 200, body
    return affiliation_id
