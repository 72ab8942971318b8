"""Processes that an event starts (rencai:startEvent on <process>): the 人工申诉 a person files
in identity (identity.appeal.filed) becomes an instance of realname_appeal for the admins.

The event's data is the start data, validated against the process's start form like a
person's application; its `account_id` is the applicant (who follows the instance, hears the
result and may withdraw it before review starts) and its subject the business key (one
instance per appeal: a redelivered event starts nothing new). The process has no unit; its
lanes must not need one (e.g. lane "admin")."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox

from .. import engine, forms
from ..model import Definition, Instance
from ..settings import START_EVENTS  # noqa: F401 - events.handlers consumes them
from .definitions import current_definition
from .instances import create_instance

NO_UNIT = ""  # instance.unit_id of a process about no unit


def started_by(session: Session, event_type: str) -> list[Definition]:
    """The current definitions that the event starts."""
    found = []
    for key in sorted(session.scalars(select(Definition.process_key).distinct())):
        definition = current_definition(session, key)
        if definition is not None and engine.start_event_of(definition.bpmn_xml, key) == event_type:
            found.append(definition)
    return found


def start_from_event(session: Session, outbox: Outbox, envelope: dict) -> list[Instance]:
    """Consumer of every event named by a process's rencai:startEvent. No deployed process
    for it fails the consumer: the event is retried, then parked for replay, never lost."""
    definitions = started_by(session, envelope["type"])
    if not definitions:
        raise LookupError(f"no deployed process is started by {envelope['type']}")
    return [_start(session, outbox, definition, envelope) for definition in definitions]


def _start(session: Session, outbox: Outbox, definition: Definition, envelope: dict) -> Instance:
    key, data = definition.process_key, dict(envelope["data"])
    business_key = str(envelope.get("subject") or data.get("account_id"))
    existing = session.scalars(select(Instance).where(Instance.process_key == key,
                                                      Instance.business_key == business_key)).first()
    if existing is not None:
        return existing
    # A start form that does not fit the event fails the consumer (retried, then parked as a
    # dead letter to replay once the definition is fixed) rather than starting a broken case.
    forms.validate(key, definition.forms, "start", data)
    applicant = Claims(sub=str(data["account_id"]), kind="person",
                       name=str(data.get("applicant_name") or ""))
    settings = engine.process_settings(definition.bpmn_xml, key)
    return create_instance(session, outbox, definition, applicant, data,
                           suffix=data.get(settings.title_field) or "", unit_id=NO_UNIT,
                           subject_id=None, business_key=business_key, variables={})
