"""The reviewers' inbox: my tasks and my groups' tasks with filters, counts per group, claim,
unclaim, assign to a colleague of the same group, comments."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.db import Database, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import forms
from ..model import AuditEntry, Instance, SavedFilter, StaffMember, Task
from ..routing import holder_title, holder_titles
from .base import (audit, audit_view, check_four_eyes, definition_of, instance_view,
                   visible_task)
from .inbox_query import ON_INSTANCE, ON_TASK, Shape, parameters, statements


def inbox(db: Database, claims: Claims, query: dict) -> dict:
    """A page of tasks (inbox_query.statements: the statement of each shape is built once).
    Without instance filters the total is counted on `task` alone (index-only), not over the
    join; a short first or last page knows its total without counting."""
    sort = query.get("sort", "-created_at")
    cursor = query.get("cursor")
    after = _after_cursor(sort, cursor) if cursor is not None else None
    overdue = query.get("overdue")
    shape = Shape(status="completed" if query.get("status") == "completed" else "ready",
                  scope=query.get("scope", "all"), groups=len(claims.groups),
                  on_task=tuple(name for name in ON_TASK if query.get(name)),
                  overdue=overdue if isinstance(overdue, bool) else None,
                  on_instance=tuple(name for name in ON_INSTANCE if query.get(name)),
                  sort=sort, after=after is not None)
    per_page = query.get("per_page", 20)
    if cursor is not None:
        page, offset, wanted = None, 0, per_page + 1  # one more: is there a next page?
    else:
        page = query.get("page", 1)
        offset, wanted = (page - 1) * per_page, per_page
    now = utcnow()
    days = {name: _day(query[name]) + timedelta(days=1 if name == "created_to" else 0)
            for name in ("created_from", "created_to") if query.get(name)}
    params = parameters(shape, claims.sub, sorted(claims.groups), {**query, **days}, now=now,
                        head=offset + wanted, offset=offset, wanted=wanted,
                        after_at=after[0] if after else None,
                        after_id=after[1] if after else None)
    rows_query, total_query = statements(shape)
    with db.reading() as session:
        rows = session.execute(rows_query, params).all()
        if cursor is not None:
            more = len(rows) > per_page
            rows = rows[:per_page]
            result = {"total": None, "page": None, "per_page": per_page,
                      "next_cursor": _cursor(rows[-1][0]) if more else None}
        else:
            if len(rows) < per_page and (rows or page == 1):  # the last page: total known
                total = offset + len(rows)
            else:  # one statement: a count per part, each from its index alone
                total = sum(session.execute(total_query, params).one())
            full = len(rows) == per_page and page * per_page < total
            result = {"total": total, "page": page, "per_page": per_page,
                      "next_cursor": _cursor(rows[-1][0])
                      if full and sort.endswith("created_at") else None}
        titles = holder_titles(session, {task.candidate_group for task, _ in rows})
        result["items"] = [_summary(task, instance, now, titles[task.candidate_group])
                           for task, instance in rows]
    return result


def _cursor(task: Task) -> str:
    raw = json.dumps([task.created_at.isoformat(), task.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_cursor(sort: str, cursor: str) -> tuple[datetime, str] | None:
    """Cursor pagination (newest or oldest first): stable while tasks arrive, no OFFSET; the
    (created_at, id) row comparison is one index range. None: an empty cursor (page one)."""
    if not sort.endswith("created_at"):
        raise ValidationFailed("按时限排序时请使用页码翻页", {"cursor": "按时限排序时不能使用翻页标记"})
    if not cursor:
        return None
    try:
        at, task_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(at)
        if at.tzinfo is None or not isinstance(task_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise ValidationFailed("翻页标记无效，请从第一页开始", {"cursor": "翻页标记无效"})
    return at, task_id


def _day(value) -> datetime:
    return datetime.combine(value, time.min, tzinfo=timezone.utc)


def _summary(task: Task, instance: Instance, now: datetime, group_title: str) -> dict:
    return {"id": task.id, "title": task.title, "task_key": task.task_key, "status": task.status,
            "created_at": task.created_at, "completed_at": task.completed_at,
            "decision": task.decision, "candidate_group": task.candidate_group,
            "group_title": group_title,
            "assignee": task.assignee, "assignee_name": task.assignee_name,
            "delegated_by": task.owner_name,
            "due_at": task.due_at, "overdue": bool(task.due_at and task.due_at < now
                                                   and task.status == "ready"),
            "instance_id": instance.id, "instance_title": instance.title,
            "instance_status": instance.status, "stage": instance.stage,
            "process_key": instance.process_key, "applicant_name": instance.applicant_name}


def counts(db: Database, claims: Claims) -> dict:
    """Per candidate group of mine: waiting, unclaimed, overdue; plus those assigned to me."""
    now = utcnow()
    with db.reading() as session:
        rows = session.execute(
            select(Task.candidate_group, func.count(),
                   func.count(Task.id).filter(Task.assignee.is_(None)),
                   func.count(Task.id).filter(Task.due_at < now))
            .where(Task.status == "ready", Task.candidate_group.in_(sorted(claims.groups)))
            .group_by(Task.candidate_group)).all()
        mine = session.scalar(select(func.count()).select_from(Task).where(
            Task.status == "ready", Task.assignee == claims.sub))
        groups = [{"group": group, "title": holder_title(session, group), "ready": ready,
                   "unclaimed": unclaimed, "overdue": overdue}
                  for group, ready, unclaimed, overdue in rows]
    known = {g["group"] for g in groups}
    with db.reading() as session:
        groups += [{"group": group, "title": holder_title(session, group), "ready": 0,
                    "unclaimed": 0, "overdue": 0} for group in sorted(claims.groups - known)]
    return {"assigned_to_me": mine, "groups": sorted(groups, key=lambda g: g["group"])}


def task_detail(db: Database, claims: Claims, task_id: str) -> dict:
    with db.reading() as session:
        task = visible_task(session, claims, task_id)
        instance = session.get(Instance, task.instance_id)
        definition = definition_of(session, instance)
        form = forms.resolved_schema(instance.process_key, definition.forms, task.task_key) \
            if task.task_key in definition.forms else {}
        comments = session.scalars(select(AuditEntry).where(
            AuditEntry.instance_id == instance.id, AuditEntry.action == "comment")
            .order_by(AuditEntry.id)).all()
        detail = instance_view(session, instance, staff=task.lane != "applicant")
        attachments = [{"id": a, "url": f"/api/files/attachments/{a}/content"}
                       for a in instance.application.get("attachment_ids", [])]
    return {"id": task.id, "title": task.title, "task_key": task.task_key,
            "status": task.status, "version": task.version, "created_at": task.created_at,
            "candidate_group": task.candidate_group, "assignee": task.assignee,
            "assignee_name": task.assignee_name, "delegated_by": task.owner_name,
            "due_at": task.due_at, "form": form,
            "instance": detail, "attachments": attachments,
            "comments": [audit_view(c) for c in comments]}


# --- claim, unclaim, assign, comment --------------------------------------------------------

def _ready_task(session: Session, claims: Claims, task_id: str) -> tuple[Task, Instance]:
    task = visible_task(session, claims, task_id)
    if task.status != "ready":
        raise Conflict("该任务已被处理，请刷新待办列表")
    return task, session.get(Instance, task.instance_id)


def _set_assignee(session: Session, task: Task, assignee: str | None, name: str | None,
                  expect: str | None) -> None:
    """Compare-and-swap on the task's version and current assignee."""
    changed = session.execute(update(Task).where(
        Task.id == task.id, Task.version == task.version, Task.status == "ready",
        Task.assignee.is_(None) if expect is None else Task.assignee == expect)
        .values(assignee=assignee, assignee_name=name, version=task.version + 1,
                claimed_at=utcnow() if assignee else None))
    if changed.rowcount != 1:
        raise Conflict("任务已被他人认领或处理，请刷新后重试")
    session.refresh(task)


def claim(db: Database, claims: Claims, task_id: str) -> dict:
    with db.transaction() as session:
        task, instance = _ready_task(session, claims, task_id)
        if task.assignee == claims.sub:
            return _task_row(session, task)
        if task.assignee:
            raise Conflict(f"该任务已由{task.assignee_name or '他人'}认领")
        check_four_eyes(session, instance, task, claims.sub)
        _set_assignee(session, task, claims.sub, claims.name, None)
        audit(session, instance, claims, task.title, "claim", role=task.lane, task_id=task.id)
        return _task_row(session, task)


def unclaim(db: Database, claims: Claims, task_id: str) -> dict:
    with db.transaction() as session:
        task, instance = _ready_task(session, claims, task_id)
        if task.assignee != claims.sub:
            raise Forbidden("只能退回本人认领的任务")
        _refuse_while_delegated(task)
        if task.lane == "expert":
            raise Forbidden("评审专家的任务为指定分配，不能退回任务池")
        _set_assignee(session, task, None, None, claims.sub)
        audit(session, instance, claims, task.title, "unclaim", role=task.lane, task_id=task.id)
        return _task_row(session, task)


def assign(db: Database, claims: Claims, task_id: str, assignee_id: str,
           comment: str | None) -> dict:
    """Hand a task to a colleague of the same candidate group (they must pass four eyes)."""
    with db.transaction() as session:
        task, instance = _ready_task(session, claims, task_id)
        if task.candidate_group not in claims.groups:
            raise Forbidden("只能转交本部门的任务")
        if task.assignee and task.assignee != claims.sub:
            raise Conflict(f"该任务已由{task.assignee_name or '他人'}认领，不能转交")
        _refuse_while_delegated(task)
        colleague = _colleague(session, task, assignee_id, "assignee_id")
        check_four_eyes(session, instance, task, assignee_id, who="该同事")
        twin = session.scalars(select(Task.id).where(
            Task.instance_id == instance.id, Task.task_key == task.task_key, Task.id != task.id,
            Task.status != "cancelled",
            or_(Task.assignee == assignee_id, Task.completed_by == assignee_id))).first()
        if twin is not None and task.lane == "expert":
            raise Conflict("该专家已在本次评审中有评审任务，不能重复分配")
        _set_assignee(session, task, colleague.account_id, colleague.name, task.assignee)
        audit(session, instance, claims, task.title, "assign", comment, role=task.lane,
              task_id=task.id, detail={"to": colleague.account_id, "to_name": colleague.name})
        return _task_row(session, task)


def delegate(db: Database, claims: Claims, task_id: str, delegate_id: str,
             comment: str | None) -> dict:
    """委派: a colleague prepares the task and hands it back; the owner still decides, so
    four eyes concerns the owner only."""
    with db.transaction() as session:
        task, instance = _ready_task(session, claims, task_id)
        if task.assignee != claims.sub:
            raise Conflict("请先认领任务，再委派给同事")
        _refuse_while_delegated(task)
        colleague = _colleague(session, task, delegate_id, "delegate_id")
        _set_assignee(session, task, colleague.account_id, colleague.name, claims.sub)
        task.owner, task.owner_name = claims.sub, claims.name
        audit(session, instance, claims, task.title, "delegate", comment, role=task.lane,
              task_id=task.id, detail={"to": colleague.account_id, "to_name": colleague.name})
        return _task_row(session, task)


def resolve(db: Database, claims: Claims, task_id: str, comment: str | None) -> dict:
    """The colleague hands a delegated task back to its owner, with their opinion."""
    with db.transaction() as session:
        task, instance = _ready_task(session, claims, task_id)
        if task.owner is None or task.assignee != claims.sub:
            raise Conflict("该任务不是委派给您的任务")
        owner, owner_name = task.owner, task.owner_name
        _set_assignee(session, task, owner, owner_name, claims.sub)
        task.owner = task.owner_name = None
        audit(session, instance, claims, task.title, "resolve", comment, role=task.lane,
              task_id=task.id, detail={"to": owner, "to_name": owner_name})
        return _task_row(session, task)


def _refuse_while_delegated(task: Task) -> None:
    if task.owner is not None:
        raise Conflict(f"该任务正由{task.assignee_name or '同事'}协办，交回后才能操作")


def _colleague(session: Session, task: Task, account_id: str, field: str) -> StaffMember:
    colleague = session.get(StaffMember, account_id)
    lane, _, org = task.candidate_group.partition(":")
    if colleague is None or colleague.org_id != org or lane not in (colleague.roles or []):
        raise ValidationFailed("只能交给同一部门、同一角色的同事", {field: "不是本部门同角色的同事"})
    return colleague


def colleagues(db: Database, claims: Claims, task_id: str) -> list[dict]:
    with db.reading() as session:
        task = visible_task(session, claims, task_id)
        lane, _, org = task.candidate_group.partition(":")
        members = session.scalars(select(StaffMember).where(StaffMember.org_id == org)
                                  .order_by(StaffMember.name)).all()
        return [{"id": m.account_id, "name": m.name} for m in members
                if lane in (m.roles or []) and m.account_id != claims.sub]


def comment(db: Database, claims: Claims, task_id: str, body: str) -> dict:
    with db.transaction() as session:
        task = visible_task(session, claims, task_id)
        instance = session.get(Instance, task.instance_id)
        audit(session, instance, claims, task.title, "comment", body, role=task.lane,
              task_id=task.id)
        session.flush()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance.id)
                                .order_by(AuditEntry.id.desc())).first()
        return audit_view(entry)


def _task_row(session: Session, task: Task) -> dict:
    instance = session.get(Instance, task.instance_id)
    return _summary(task, instance, utcnow(), holder_title(session, task.candidate_group))


# --- saved filters --------------------------------------------------------------------------

MAX_FILTERS = 20


def _filter_view(row: SavedFilter) -> dict:
    return {"id": row.id, "name": row.name, "criteria": row.query, "created_at": row.created_at}


def saved_filters(db: Database, claims: Claims) -> list[dict]:
    with db.reading() as session:
        return [_filter_view(r) for r in session.scalars(
            select(SavedFilter).where(SavedFilter.user_id == claims.sub)
            .order_by(SavedFilter.created_at, SavedFilter.id))]


def save_filter(db: Database, claims: Claims, name: str, query: dict) -> dict:
    """`query` is what GET /tasks accepts, already validated by its schema (JSON-safe)."""
    try:
        with db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(SavedFilter)
                                   .where(SavedFilter.user_id == claims.sub))
            if count >= MAX_FILTERS:
                raise Conflict(f"最多保存 {MAX_FILTERS} 个筛选条件")
            row = SavedFilter(id=str(uuid.uuid4()), user_id=claims.sub, name=name, query=query,
                              created_at=utcnow())
            session.add(row)
        return _filter_view(row)
    except IntegrityError:
        raise Conflict("已有同名的筛选条件", {"name": "名称已存在"})


def delete_filter(db: Database, claims: Claims, filter_id: str) -> None:
    with db.transaction() as session:
        row = session.get(SavedFilter, filter_id)
        if row is None or row.user_id != claims.sub:
            raise NotFound("筛选条件不存在")
        session.delete(row)
