"""The inbox's statements, built once per shape (its parts, the filters present, the sort,
page or cursor) with bound parameters for every value: building the union of index ranges
and its cache key on every list cost more CPU than PostgreSQL spends running it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, bindparam, func, or_, select, tuple_, union_all
from sqlalchemy.orm import load_only

from ..model import Instance, Task

# The sort key of each `sort`, and whether it runs backwards. Ties break on the task id in the
# same direction, so (key, id) is one index range, scanned forwards or backwards.
SORTS = {"created_at": (Task.created_at, False), "-created_at": (Task.created_at, True),
         "due_at": (Task.due_at, False), "-due_at": (Task.due_at, True)}
# What a page of the inbox shows of an instance (not its serialized state or application).
LISTED = load_only(Instance.id, Instance.title, Instance.status, Instance.stage,
                   Instance.process_key, Instance.applicant_name, raiseload=True)
ESCAPE = "/"  # the LIKE escape of the applicant filter (as contains(autoescape=True))
# Task filters by the query's key: each compares the column with a parameter of that name.
ON_TASK = {"group": lambda: Task.candidate_group == bindparam("group"),
           "stage": lambda: Task.task_key == bindparam("stage"),
           "created_from": lambda: Task.created_at >= bindparam("created_from"),
           "created_to": lambda: Task.created_at < bindparam("created_to")}
ON_INSTANCE = {"process_key": lambda: Instance.process_key == bindparam("process_key"),
               "applicant": lambda: Instance.applicant_name.contains(bindparam("applicant"),
                                                                     escape=ESCAPE),
               "unit_id": lambda: Instance.unit_id == bindparam("unit_id")}


@dataclass(frozen=True)
class Shape:
    """What decides the statement's text; the values go as parameters (`parameters`)."""

    status: str  # ready | completed
    scope: str  # all | mine | group | team
    groups: int  # how many candidate groups the caller has (one part each)
    on_task: tuple[str, ...]  # the ON_TASK filters present, in its order
    overdue: bool | None
    on_instance: tuple[str, ...]  # the ON_INSTANCE filters present, in its order
    sort: str
    after: bool  # a cursor position: rows after it, no OFFSET


def escaped(text: str) -> str:
    """The applicant filter's value: its LIKE wildcards taken literally."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _parts(shape: Shape) -> list[list]:
    """The inbox as disjoint parts, each one range of an open-task index (migration
    c3f1a9e5d7b2): assigned to me, and per group of mine its unclaimed (or all) tasks. An OR
    over them would be a bitmap scan of every open task of the group, sorted to find a page."""
    if shape.status == "completed":
        return [[Task.status == "completed", or_(
            Task.completed_by == bindparam("sub"),
            Task.candidate_group.in_(bindparam("groups", expanding=True)))]]
    ready = Task.status == "ready"
    mine = [ready, Task.assignee == bindparam("sub")]
    groups = [Task.candidate_group == bindparam(f"g{n}") for n in range(shape.groups)]
    if shape.scope == "mine":
        return [mine]
    if shape.scope == "group":
        return [[ready, group, Task.assignee.is_(None)] for group in groups]
    if shape.scope == "team":  # everything of my groups, whoever holds it, and mine elsewhere
        return [[ready, group] for group in groups] + [
            [*mine, Task.candidate_group.not_in(bindparam("groups", expanding=True))]]
    return [mine, *([ready, group, Task.assignee.is_(None)] for group in groups)]


def _ordered(column, descending: bool):
    return column.desc() if descending else column.asc()


@lru_cache(maxsize=256)
def statements(shape: Shape) -> tuple[Select, Select]:
    """(a page's rows, the total) for the shape: each part gives its first rows in order (an
    index range, instance filters joined in), the page is cut from their union, and only its
    rows are joined to their tasks and instances. The total counts each part on `task`
    alone (index-only) when no instance filter applies."""
    on_task = [ON_TASK[name]() for name in shape.on_task]
    if shape.overdue is True:
        on_task += [Task.due_at.is_not(None), Task.due_at < bindparam("now")]
    elif shape.overdue is False:
        on_task.append(or_(Task.due_at.is_(None), Task.due_at >= bindparam("now")))
    key, descending = SORTS[shape.sort]
    if shape.after:
        mark = tuple_(Task.created_at, Task.id)
        at = tuple_(bindparam("after_at", type_=Task.created_at.type),
                    bindparam("after_id", type_=Task.id.type))
        on_task.append(mark < at if shape.sort.startswith("-") else mark > at)
    # Instance filters as a set of instances the tasks must be in: PostgreSQL finds it by
    # index (a trigram one for the applicant), SQLite builds it once per statement.
    chosen = [Task.instance_id.in_(select(Instance.id).where(
        *(ON_INSTANCE[name]() for name in shape.on_instance)))] if shape.on_instance else []
    parts = _parts(shape)

    def part_query(conditions, *columns):
        return select(*columns).where(*conditions, *on_task, *chosen)

    heads = [part_query(p, Task.id.label("id"), key.label("key"))
             .order_by(_ordered(key, descending), _ordered(Task.id, descending))
             .limit(bindparam("head")).subquery() for p in parts]
    union = heads[0] if len(heads) == 1 else union_all(*(select(h) for h in heads)).subquery()
    window = (select(union).order_by(_ordered(union.c.key, descending),
                                     _ordered(union.c.id, descending))
              .offset(bindparam("offset")).limit(bindparam("wanted")).subquery())
    rows = (select(Task, Instance).join(window, window.c.id == Task.id)
            .join(Instance, Instance.id == Task.instance_id).options(LISTED)
            .order_by(_ordered(window.c.key, descending), _ordered(window.c.id, descending)))
    total = select(*(select(func.count()).select_from(part_query(p, Task.id).subquery())
                     .scalar_subquery() for p in parts))
    return rows, total


def parameters(shape: Shape, sub: str, groups: list[str], query: dict, **values) -> dict:
    """The values of `statements(shape)`'s parameters; `values`: now, the cursor's position
    (after_at, after_id), head, offset, wanted."""
    found = {"sub": sub, "groups": groups, **{f"g{n}": g for n, g in enumerate(groups)},
             **{name: query[name] for name in shape.on_task + shape.on_instance}, **values}
    if "applicant" in found:
        found["applicant"] = escaped(found["applicant"])
    return found
