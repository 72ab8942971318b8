"""The businesses' hooks: what a business needs beyond its BPMN and forms, registered by name
from its one module in services/workflow/businesses/, and named by the BPMN's settings
(settings.py). The core (definitions, instances, tasks, inbox, timers, audit) calls hooks by
the names a process's settings give; it imports no business. Adding a business is a .bpmn,
its forms and at most one module (or package) in businesses/ — found there at first use.

A business module calls `register(Business(...))`. What it can register:

  name            the business; a process uses its hooks when rencai:business names it, or
                  when the process's id is this name
  on_start        (session, claims, settings, application, context) -> application: the
                  start's application after the business's own rules (after the form, the
                  unit and the settings' rules were checked); context holds unit_id,
                  unit_name, subject_id
  on_resubmit     (session, settings, instance, data) -> data: the same for the applicant's
                  resubmission (修改后重新提交) of a returned instance
  entry           the API path a process of this business is started from (its own page,
                  e.g. 技能竞赛's 报名); the catalogue links there and the general start refuses
  entry_refusal   the words of that refusal
  checks          {name: (data, context) -> data}: named by rencai:check; refuse bad form data
                  (ValidationFailed naming the field) that a JSON Schema cannot express
  unit_sources    {name: UnitSource}: named by rencai:unitFrom, where the routing unit of a
                  start comes from
  permissions     {业务权限 name: its title}: the words of rencai:permission's refusals
                  (e.g. talent_intro: 人才引进)
  permission_refusals
                  {state of the 业务权限 (None, "pending", "rejected", ...): words}: the
                  business's own refusal of its processes' start in that state, over the
                  core's (service/rules.py); {title} and {reason} are filled in
  blueprints      flask-smorest blueprints of the business's own pages (api/ adds them)
  personal_data   (session, person_id) -> {section: [records]}: what the business holds of the
                  person, for their export (PIPL art. 45)
  forget          (session, person_id) -> None: what closing the account (注销) erases here
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
from dataclasses import dataclass, field
from typing import Callable

BUSINESSES_PACKAGE = "services.workflow.businesses"


@dataclass(frozen=True)
class UnitSource:
    """rencai:unitFrom="<name>": `resolve(session, claims, application) -> unit id` (raises a
    DomainError naming the field when it cannot); `starters`: the account kinds the source
    needs (rencai:starter must be exactly these), None for any."""
    resolve: Callable
    starters: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Business:
    name: str
    on_start: Callable | None = None
    on_resubmit: Callable | None = None
    entry: str | None = None
    entry_refusal: str = "此业务请从其专门页面办理"
    checks: dict[str, Callable] = field(default_factory=dict)
    unit_sources: dict[str, UnitSource] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    permission_refusals: dict[str | None, str] = field(default_factory=dict)
    blueprints: tuple = ()
    personal_data: Callable | None = None
    forget: Callable | None = None


_BUSINESSES: dict[str, Business] = {}
CHECKS: dict[str, Callable] = {}
UNIT_SOURCES: dict[str, UnitSource] = {}
_loaded = False
_lock = threading.RLock()


def register(business: Business) -> Business:
    """Called once by each business module at import. Two businesses claiming the same name,
    check or unit source is a programming error: it fails the import."""
    for name, table, what in ((business.name, _BUSINESSES, "business"),
                              *((n, CHECKS, "check") for n in business.checks),
                              *((n, UNIT_SOURCES, "unit source") for n in business.unit_sources)):
        if name in table:
            raise RuntimeError(f"{what} {name!r} registered twice")
    _BUSINESSES[business.name] = business
    CHECKS.update(business.checks)
    UNIT_SOURCES.update(business.unit_sources)
    return business


def load() -> None:
    """Imports every module of businesses/ once (each registers itself)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        package = importlib.import_module(BUSINESSES_PACKAGE)
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{BUSINESSES_PACKAGE}.{module.name}")
        _loaded = True


def businesses() -> dict[str, Business]:
    load()
    return _BUSINESSES


def checks() -> dict[str, Callable]:
    load()
    return CHECKS


def unit_sources() -> dict[str, UnitSource]:
    load()
    return UNIT_SOURCES


def business_of(settings, process_key: str) -> Business | None:
    """The business whose hooks apply to the process: rencai:business, else its id's."""
    return businesses().get(settings.business or process_key)


def permission_title(name: str) -> str:
    """The title a business gives a 业务权限 it needs (e.g. 人才引进), else its name."""
    return next((b.permissions[name] for b in businesses().values() if name in b.permissions),
                name)


def blueprints() -> list:
    return [bp for business in businesses().values() for bp in business.blueprints]


def personal_data(session, person_id: str) -> dict:
    found: dict = {}
    for business in businesses().values():
        if business.personal_data is not None:
            found.update(business.personal_data(session, person_id))
    return found


def forget(session, person_id: str) -> None:
    for business in businesses().values():
        if business.forget is not None:
            business.forget(session, person_id)
