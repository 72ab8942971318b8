"""A process's settings: the `rencai:*` attributes of its <process>, parsed once, by this one
parser, into one typed object. What an admin's BPMN may say is exactly what SETTINGS lists;
an unknown or misspelt attribute, or a value out of its kind (a boolean that is not
true/false, a starter that is no account kind, a hook no business registered), is refused at
validation with a message naming the attribute — never read as its default.

SpiffWorkflow's parser offers extension hooks only for `spiffworkflow:` extension elements
under a task, not for attributes of <process>, and our settings are read without parsing the
whole model; so this is one function over lxml.

  rencai:fourEyes="false"          relax four eyes (default true)
  rencai:starter="person unit"     account kinds that may start it (default person)
  rencai:affiliation="required"    the person must be affiliated (default), "forbidden"
                                   (must not be yet: the affiliation request) or "none"
  rencai:unitFrom="affiliation"    where the routing unit comes from: the person's affiliation
                                   (default), "association_code" (the unit the person names by
                                   its 单位关联代码 in the start field `association_code`),
                                   "account" (the unit account), or a unit source a business
                                   registers (hooks.UnitSource, e.g. "competition")
  rencai:subjectField="employee_id"  the start form field naming the subject person (a unit
                                   applies for an affiliated employee)
  rencai:titleField="project_name" the start form field (or resolved context, e.g. unit_name /
                                   subject_name) that completes the title
  rencai:permission="talent_intro" the applying unit must hold this 业务权限 (approved, or
                                   modified after approval and under re-review)
  rencai:grantsPermission="talent_intro"  the process is the application for that 业务权限
                                   (one open application per unit; the unit needs a district)
  rencai:piiFields="id_number"     personal form fields: stored masked (+ encrypted and a blind
                                   index beside them), never in plain text
  rencai:uniqueField="id_number"   one open instance per unit and value of this field
  rencai:check="talent_demand"     a check of the form data a business registers (hooks.CHECKS)
  rencai:onePerApplicant="true"    one open (running or returned) instance per applicant
                                   (default false; implied by subjectField, per subject, and by
                                   affiliation="forbidden")
  rencai:startEvent="identity.appeal.filed"  the bus event that starts the process
                                   (service/triggers.py); nobody starts it over the API
  rencai:business="skills_competition"  the business whose hooks (on start, on resubmit, its
                                   own entry page) apply; default: the one registered under the
                                   process's id, if any
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from . import hooks

BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
RENCAI_NS = "https://rencai.example/bpmn/extensions"

STARTERS = ("person", "unit")
AFFILIATION_RULES = ("required", "forbidden", "none")
# The unit sources of the core (service/instances.start_context) and the starters each needs;
# businesses add theirs (hooks.UnitSource).
CORE_UNIT_SOURCES = {"affiliation": None, "association_code": None, "account": ("unit",)}
# The events workflow consumes to start processes (events.handlers).
START_EVENTS = ("identity.appeal.filed",)


class SettingsError(ValueError):
    """A setting that cannot be used; `attribute` is its name on <process> (rencai:...)."""

    def __init__(self, attribute: str, message: str):
        super().__init__(message)
        self.attribute = attribute


@dataclass(frozen=True)
class ProcessSettings:
    four_eyes: bool = True
    starters: tuple[str, ...] = ("person",)
    affiliation: str = "required"
    unit_from: str = "affiliation"
    subject_field: str | None = None
    title_field: str = "project_name"
    permission: str | None = None
    grants_permission: str | None = None
    pii_fields: tuple[str, ...] = ()
    unique_field: str | None = None
    check: str | None = None
    one_per_applicant: bool = False
    start_event: str | None = None
    business: str | None = None


def _boolean(attribute: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 true 或 false（现为“{value}”）")
    return value == "true"


def _text(attribute: str, value: str) -> str | None:
    return value or None


def _words(attribute: str, value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _one_of(*choices: str):
    def parse(attribute: str, value: str) -> str:
        if value not in choices:
            raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(choices)}")
        return value
    return parse


def _starters(attribute: str, value: str) -> tuple[str, ...]:
    starters = tuple(value.split())
    if not starters or any(s not in STARTERS for s in starters):
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(STARTERS)}")
    return starters


def _unit_source(attribute: str, value: str) -> str:
    sources = [*CORE_UNIT_SOURCES, *sorted(hooks.unit_sources())]
    if value not in sources:
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(sources)}")
    return value


def _check(attribute: str, value: str) -> str | None:
    if value and value not in hooks.checks():
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(sorted(hooks.checks()))}")
    return value or None


def _start_event(attribute: str, value: str) -> str | None:
    if value and value not in START_EVENTS:
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(START_EVENTS)}")
    return value or None


def _business(attribute: str, value: str) -> str | None:
    if value and value not in hooks.businesses():
        raise SettingsError(attribute, f"rencai:{attribute} 只能是 {'、'.join(sorted(hooks.businesses()))}")
    return value or None


# attribute on <process>: (field of ProcessSettings, parser of its stripped text)
SETTINGS = {
    "fourEyes": ("four_eyes", _boolean),
    "starter": ("starters", _starters),
    "affiliation": ("affiliation", _one_of(*AFFILIATION_RULES)),
    "unitFrom": ("unit_from", _unit_source),
    "subjectField": ("subject_field", _text),
    "titleField": ("title_field", lambda attribute, value: value or "project_name"),
    "permission": ("permission", _text),
    "grantsPermission": ("grants_permission", _text),
    "piiFields": ("pii_fields", _words),
    "uniqueField": ("unique_field", _text),
    "check": ("check", _check),
    "onePerApplicant": ("one_per_applicant", _boolean),
    "startEvent": ("start_event", _start_event),
    "business": ("business", _business),
}


def process_element(xml: bytes, process_key: str):
    """The <process> of that id, or None."""
    return etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", BPMN_NS)


@lru_cache(maxsize=64)
def parse(xml: bytes, process_key: str) -> ProcessSettings:
    """The settings of the process; SettingsError names the first attribute refused."""
    process = process_element(xml, process_key)
    values: dict = {}
    for name, raw in (process.attrib.items() if process is not None else []):
        qname = etree.QName(name)
        if qname.namespace != RENCAI_NS:
            continue
        if qname.localname not in SETTINGS:
            raise SettingsError(qname.localname,
                                f"rencai:{qname.localname} 不是已知的流程设置（可用："
                                f"{'、'.join(f'rencai:{n}' for n in SETTINGS)}）")
        field, parser = SETTINGS[qname.localname]
        values[field] = parser(qname.localname, raw.strip())
    settings = ProcessSettings(**values)
    _check_together(settings, process_key)
    return settings


def _check_together(settings: ProcessSettings, process_key: str) -> None:
    """Rules between settings."""
    required = CORE_UNIT_SOURCES.get(settings.unit_from) if settings.unit_from in \
        CORE_UNIT_SOURCES else hooks.unit_sources()[settings.unit_from].starters
    if required and settings.starters != required:
        raise SettingsError("unitFrom", f'rencai:unitFrom="{settings.unit_from}" 要求 '
                                        f'rencai:starter="{" ".join(required)}"')
    for attribute, value in (("permission", settings.permission),
                             ("grantsPermission", settings.grants_permission)):
        if value and settings.unit_from != "account":
            raise SettingsError(attribute, f'rencai:{attribute} 要求 rencai:unitFrom="account"')


def problem(xml: bytes, process_key: str) -> str | None:
    """Why the process's settings are not usable, or None."""
    try:
        parse(xml, process_key)
    except SettingsError as error:
        return str(error)
    return None


def as_dict(settings: ProcessSettings) -> dict:
    return dataclasses.asdict(settings)
