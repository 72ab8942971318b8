"""Event contracts are code (issue 11 §2): every published type has a payload schema in its
producer's events.py, every consumed type is published by someone, every type a flow relies
on has the consumers the flow needs, and the consumers applied at once are real consumers.

    PYTHONPATH=. python -m tests.unit.test_event_contracts    prints the map
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import SimpleNamespace

from marshmallow import Schema

from services.common.config import PROJECT_ROOT, SERVICES

# Published for the record (audit, outside subscribers, operators), consumed by no service
# today; anything else without a consumer is a broken flow.
NOT_CONSUMED = {
    "identity.person.registered": "self-registration step 1; the account itself is "
                                  "identity.account.created",
    "identity.appeal.decided": "the outcome is already the process's (workflow); kept for the record",
    "orgs.unit.profile_completed": "the first-login gate, for outside subscribers",
    "orgs.unit.certification_submitted": "a licence waits for staff review (admins' queue is orgs')",
    "workflow.instance.withdrawn": "followed by workflow.instance.completed (outcome withdrawn)",
    "workflow.instance.failed": "an incident: admins see it in workflow",
    "workflow.instance.migrated": "operators' record",
    "workflow.task.completed": "the timeline is workflow's own audit",
    "workflow.timer.fired": "operators' record",
}
# The consumers each seed flow relies on (a type missing one of these breaks that flow).
FLOWS = {
    "identity.unit.registered": {"orgs"},              # seed 003: the unit of a phone sign-up
    "orgs.unit.certified": {"identity", "workflow"},  # 单位认证 → 业务权限开通
    "orgs.permission.changed": {"workflow"},          # 业务权限 → 需求申报
    "workflow.instance.completed": {"orgs", "identity", "workflow"},
    "workflow.instance.started": {"files", "orgs"},   # locks; affiliation; 业务权限 pending
    "workflow.task.created": {"files", "workflow"},   # reviewers' access; prompts
    "files.attachment.uploaded": {"workflow"},        # form attachments checked
    "identity.person.verified": {"workflow", "orgs"},  # verified names
    "identity.appeal.filed": {"workflow"},            # 人工申诉 starts from identity
    "orgs.org.registered": {"workflow", "files"},
    "orgs.affiliation.approved": {"workflow", "files"},
}


def events_module(service: str):
    return importlib.import_module(f"services.{service}.events")


def consumers() -> dict[str, set[str]]:
    """type -> the services whose consumer handles it (their events.handlers)."""
    kit = SimpleNamespace(db=None, outbox=None, settings=None)
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        module = events_module(service)
        handlers = module.handlers(kit, {}) if service == "identity" else module.handlers(kit)
        for type_ in handlers:
            found.setdefault(type_, set()).add(service)
    return found


def published() -> dict[str, type[Schema]]:
    return {type_: schema for service in SERVICES
            for type_, schema in events_module(service).PUBLISHES.items()}


def event_map() -> list[tuple[str, list[str]]]:
    consumed = consumers()
    return [(type_, sorted(consumed.get(type_, ()))) for type_ in sorted(published())]


def test_every_published_type_has_a_schema_and_belongs_to_its_producer():
    for service in SERVICES:
        for type_, schema in events_module(service).PUBLISHES.items():
            assert type_.startswith(service + "."), type_
            assert issubclass(schema, Schema), type_


def test_every_type_the_code_publishes_is_declared():
    """String literals given to outbox.add in a service's code name declared types."""
    declared = published()
    pattern = re.compile(r'"((?:%s)\.[a-z_]+\.[a-z_]+)"' % "|".join(SERVICES))
    for service in SERVICES:
        for path in Path(PROJECT_ROOT, "services", service).rglob("*.py"):
            if "migrations" in path.parts or path.name == "events.py":
                continue
            for type_ in pattern.findall(path.read_text(encoding="utf-8")):
                if type_.startswith(service + "."):
                    assert type_ in declared, f"{path}: {type_} has no schema"


def test_nobody_consumes_a_type_nobody_publishes():
    declared = published()
    orphans = {t: s for t, s in consumers().items() if t not in declared}
    assert orphans == {}


def test_every_published_type_has_a_consumer_or_says_why_not():
    consumed = consumers()
    unconsumed = {t for t in published() if t not in consumed}
    assert unconsumed == set(NOT_CONSUMED), (
        f"no consumer and no reason: {sorted(unconsumed - set(NOT_CONSUMED))}; "
        f"consumed after all: {sorted(set(NOT_CONSUMED) - unconsumed)}")


def test_the_flows_have_the_consumers_they_rely_on():
    consumed = consumers()
    missing = {t: needed - consumed.get(t, set()) for t, needed in FLOWS.items()
               if needed - consumed.get(t, set())}
    assert missing == {}


def test_what_is_applied_at_once_is_consumed_there():
    consumed = consumers()
    for service in SERVICES:
        for type_, targets in getattr(events_module(service), "AT_ONCE", {}).items():
            assert type_ in events_module(service).PUBLISHES, type_
            for target in targets:
                assert target in consumed.get(type_, set()), f"{type_} -> {target}"


if __name__ == "__main__":
    for type_, services in event_map():
        print(f"{type_:<40} {', '.join(services) or '— (' + NOT_CONSUMED.get(type_, '?') + ')'}")
