"""What a use case reads once: a definition version (kept in memory, it never changes), and
a step's task, instance and the instance's tasks (one statement, kept for the use case)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from cachetools import LRUCache
from sqlalchemy import and_, bindparam, inspect, select
from sqlalchemy.orm import Session, aliased

from services.common.auth import Claims
from services.common.errors import NotFound

from ..model import Definition, Instance, OrgEntry, Task

NOT_YOUR_TASK = "待办任务不存在或不属于您"


@dataclass(frozen=True)
class DefinitionSpec:
    """What a step needs of a definition version; a version's BPMN and forms never change
    once uploaded (model.Definition), so one copy per process serves every step."""

    id: str
    process_key: str
    name: str
    version: int
    bpmn_xml: bytes
    forms: dict


SPECS_KEPT = 128  # versions kept in memory (least recently used dropped)
_SPECS: "LRUCache[str, DefinitionSpec]" = LRUCache(SPECS_KEPT)
_SPECS_LOCK = threading.Lock()  # cachetools' caches are not thread-safe


def definition_of(session: Session, instance: Instance) -> DefinitionSpec:
    """The instance's definition version, read from the database once per process."""
    return definition_by_id(session, instance.definition_id)


def definition_by_id(session: Session, definition_id: str) -> DefinitionSpec:
    with _SPECS_LOCK:
        spec = _SPECS.get(definition_id)
    if spec is not None:
        return spec
    return remember(session.get(Definition, definition_id))


def remember(row: Definition) -> DefinitionSpec:
    """Keeps a stored version in memory (its upload primes it: the first start needs no
    second read in the process that stored it)."""
    spec = DefinitionSpec(row.id, row.process_key, row.name, row.version, row.bpmn_xml,
                          row.forms)
    with _SPECS_LOCK:
        _SPECS[row.id] = spec
    return spec


def current_spec(session: Session, process_key: str) -> DefinitionSpec | None:
    """The version new instances start on: its id read, its BPMN and forms from memory (the
    row itself only the first time in a process). Reading the whole row on every start was
    a tenth of a start's CPU, and its forms a new dict each time (no validator reuse)."""
    definition_id = session.scalar(
        select(Definition.id).where(Definition.process_key == process_key,
                                    Definition.state == "deployed")
        .order_by(Definition.version.desc()).limit(1))
    return definition_by_id(session, definition_id) if definition_id else None


_TASKS = "rencai.workflow.tasks"  # session.info: instance id -> all its task rows


def instance_tasks(session: Session, instance: Instance) -> list[Task]:
    """Every task row of the instance, read once per use case (four eyes, the step's sync,
    the current stage and withdrawable of the response all look at them); tasks the use
    case adds are appended by `sync`. A new instance has none."""
    known = session.info.setdefault(_TASKS, {})
    if instance.id not in known:
        known[instance.id] = [] if inspect(instance).pending else list(session.scalars(
            select(Task).where(Task.instance_id == instance.id)))
    return known[instance.id]


def step_rows(session: Session, claims: Claims, task_id: str) -> tuple[Task, Instance]:
    """A task the caller may act on, its instance and all the instance's tasks, in one
    statement (and the caller's org row, for the audit entry's name and org). The instance
    (its serialized state is the largest value) and the org come on the task's own row
    only, the other rows carry NULLs there."""
    params = {"task_id": task_id, "org": claims.org} if claims.org else {"task_id": task_id}
    rows = session.execute(_step_query(bool(claims.org)), params).all()
    found = next((row for row in rows if row[0].id == task_id), None)
    task = found[0] if found else None
    if task is None or not (task.candidate_group in claims.groups or task.assignee == claims.sub):
        raise NotFound(NOT_YOUR_TASK)
    instance = found[1]
    session.info.setdefault(_TASKS, {})[instance.id] = [row[0] for row in rows]
    return task, instance


@lru_cache(maxsize=2)
def _step_query(with_org: bool):
    """`step_rows`'s statement, built once per process with bound parameters: building it
    and its cache key anew cost more CPU than PostgreSQL spends running it."""
    target = aliased(Task)
    mine = Task.id == bindparam("task_id")
    query = (select(Task, Instance)
             .outerjoin(Instance, and_(Instance.id == Task.instance_id, mine))
             .where(Task.instance_id == select(target.instance_id)
                    .where(target.id == bindparam("task_id")).scalar_subquery()))
    if with_org:
        query = query.add_columns(OrgEntry).outerjoin(
            OrgEntry, and_(OrgEntry.org_id == bindparam("org"), mine))
    return query


def visible_task(session: Session, claims: Claims, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None or not (task.candidate_group in claims.groups or task.assignee == claims.sub):
        raise NotFound(NOT_YOUR_TASK)
    return task
