"""Event contracts: what each event carries is code, checked where it is published.

Every producer's `events.py` declares `PUBLISHES = {type: marshmallow schema}`. `Outbox.add`
validates the payload against it, so a missing field, a field of the wrong kind or an
undeclared one (unknown=RAISE) raises `ContractBroken` inside the use case's transaction and
nothing is written, in tests and in production alike. One type, one shape.

A producer also names the consumers that must have applied an event before the user's
response is sent (`AT_ONCE = {type: (service, ...)}`): see services/common/internal.py.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from marshmallow import RAISE, Schema, fields

# Shorthands for payload fields (an event's data is JSON: ids and times are strings).
Id = fields.String
Text = fields.String


def optional(field: fields.Field) -> fields.Field:
    """Present in every payload, possibly null."""
    field.required, field.allow_none = True, True
    return field


def required(field: fields.Field) -> fields.Field:
    field.required = True
    return field


class Payload(Schema):
    """The base of every payload schema: undeclared fields are a broken contract."""

    class Meta:
        unknown = RAISE


class ContractBroken(ValueError):
    """A payload that does not match its type's schema, or a type nobody declared."""


@lru_cache(maxsize=None)
def published_by(producer: str) -> dict[str, type[Schema]]:
    """The producer's declared contracts: `services.<producer>.events.PUBLISHES`."""
    return importlib.import_module(f"services.{producer}.events").PUBLISHES


@lru_cache(maxsize=None)
def at_once(producer: str) -> dict[str, tuple[str, ...]]:
    """Which consumers must apply an event of `producer` before its use case answers."""
    try:
        module = importlib.import_module(f"services.{producer}.events")
    except ModuleNotFoundError:
        return {}
    return getattr(module, "AT_ONCE", {})


def check(contracts: dict[str, type[Schema]], type_: str, data: dict) -> None:
    schema = contracts.get(type_)
    if schema is None:
        raise ContractBroken(f"{type_} has no payload schema in its producer's events.py")
    errors = _instance(schema).validate(data)
    if errors:
        raise ContractBroken(f"{type_} payload breaks its contract: {errors}")


@lru_cache(maxsize=None)
def _instance(schema: type[Schema]) -> Schema:
    """One instance per payload schema (validating keeps no state on it): building one per
    event cost more than the validation."""
    return schema()
