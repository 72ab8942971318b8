"""Timers (规定时限): the scheduler fires due BPMN timers from the indexed
instance.next_timer_at. Only the holder of the lease row acts, so several workflow processes
may run the loop and exactly one fires at a time."""
from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.common.bus import Outbox
from services.common.db import Database, utcnow

from .. import engine
from ..model import Instance, SchedulerLease, Task
from .base import ACTIVE, audit, fail, publish_end, swap, sync

log = logging.getLogger(__name__)
LEASE = "timers"
LEASE_SECONDS = 30
HOLDER = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(db: Database, holder: str = HOLDER, seconds: int = LEASE_SECONDS,
               now: datetime | None = None) -> bool:
    """True when `holder` holds (or has just taken) the scheduler lease."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    with db.transaction() as session:
        renewed = session.execute(update(SchedulerLease).where(
            SchedulerLease.name == LEASE,
            (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now))
            .values(holder=holder, expires_at=until))
        if renewed.rowcount == 1:
            return True
        if session.get(SchedulerLease, LEASE) is not None:
            return False
    try:
        with db.transaction() as session:
            session.execute(insert(SchedulerLease).values(name=LEASE, holder=holder,
                                                          expires_at=until))
        return True
    except IntegrityError:
        return False  # someone else inserted it first


def release_lease(db: Database, holder: str = HOLDER) -> None:
    with db.transaction() as session:
        session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE,
                                                     SchedulerLease.holder == holder)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))


def fire_due_timers(db: Database, outbox: Outbox, holder: str = HOLDER, limit: int = 50) -> int:
    """One round of the scheduler; returns how many instances moved."""
    now = utcnow()
    with db.reading() as session:
        due = session.scalars(select(Instance.id).where(
            Instance.next_timer_at.is_not(None), Instance.next_timer_at <= now,
            Instance.status.in_(ACTIVE)).order_by(Instance.next_timer_at).limit(limit)).all()
    if not due or not take_lease(db, holder):
        return 0
    moved = 0
    for instance_id in due:
        try:
            moved += _fire(db, outbox, instance_id)
        except Exception:  # noqa: BLE001 - one instance must not stop the others
            log.exception("timer of instance %s failed", instance_id)
    return moved


def _fire(db: Database, outbox: Outbox, instance_id: str) -> int:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        if instance is None or instance.status not in ACTIVE or instance.next_timer_at is None \
                or instance.next_timer_at > utcnow():
            return 0
        workflow = engine.restore(instance.serialized)
        waiting = {t.id: t for t in session.scalars(select(Task).where(
            Task.instance_id == instance.id, Task.status == "ready"))}
        now = utcnow()
        try:
            fired = engine.fire_due_timers(workflow)
        except engine.ENGINE_ERRORS as error:  # a failing script is an incident
            swap(session, instance, {"serialized": engine.dump(workflow)})
            fail(session, outbox, instance, error, "规定时限")
            return 1
        tasks_by_key = {t.task_key: t for t in waiting.values()}
        for timer in fired:
            task = tasks_by_key.get(timer["attached_to"])
            stage = task.title if task else timer["name"]
            if timer["interrupting"]:
                comment = next((t.data.get("comment") for t in engine.ready_user_tasks(workflow)
                                if t.data.get("comment")), None)
                audit(session, instance, None, stage, "overdue",
                      f"{timer['name']}：{comment}" if comment else timer["name"],
                      task_id=task.id if task else None, detail={"timer": timer["key"]})
            else:
                audit(session, instance, None, stage, "remind", timer["name"],
                      task_id=task.id if task else None, detail={"timer": timer["key"]})
                if task:
                    outbox.add(session, "workflow.task.reminded", task.id,
                               {"task_id": task.id, "instance_id": instance.id,
                                "title": task.title, "candidate_group": task.candidate_group,
                                "assignee": task.assignee,
                                "due_at": task.due_at.isoformat() if task.due_at else None})
            outbox.add(session, "workflow.timer.fired", instance.id,
                       {"instance_id": instance.id, "timer": timer["key"], "name": timer["name"],
                        "interrupting": timer["interrupting"]})
        changes = sync(session, outbox, instance, workflow, now)
        swap(session, instance, {**changes, "serialized": engine.dump(workflow),
                                 "updated_at": now})
        publish_end(session, outbox, instance)
        return 1 if fired else 0
