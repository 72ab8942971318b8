"""What every workflow use case shares: the audit trail, turning the engine's state into task
rows and instance status after each step, four eyes, and what people see of an instance."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import Table, bindparam, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from services.common import audit as audit_log
from services.common.auth import Claims, is_admin  # noqa: F401 - the kit's one meaning
from services.common.bus import Outbox
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, NotFound

from .. import engine
from ..model import (DECISION_TITLES, LANE_TITLES, PUBLIC_ACTIONS, STAGE_TITLES, STATUS_TITLES,
                     AuditEntry, Definition, Instance, StaffMember, Task)
from ..routing import candidate_group, holder_title, org_name, shown_name
from .reads import (NOT_YOUR_TASK, DefinitionSpec, definition_of,  # noqa: F401 - shared here
                    instance_tasks, step_rows, visible_task)

SYSTEM = "system"
ACTIVE = ("running", "returned")  # statuses in which the engine still moves
PANEL_SIZE = 3  # experts per panel
STAFF_KINDS = ("staff", "unit")
CHINA = timezone(timedelta(hours=8))


def audit(session: Session, instance: Instance, claims: Claims | None, stage: str, action: str,
          comment: str | None = None, *, role: str | None = None, task_id: str | None = None,
          detail: dict | None = None) -> None:
    """One append-only row; `claims` None means the system acted (a timer, the engine).
    The timeline is business data (what the applicant and reviewers see); the same step goes
    on the kit's hash-chained audit log, where assessors read every service alike."""
    audit_log.record(session, f"instance.{action}", "instance", instance.id,
                     subject_id=instance.subject_id or instance.applicant_id, claims=claims,
                     actor_kind=None if claims else SYSTEM,
                     detail={"process_key": instance.process_key, "stage": stage,
                             "task_id": task_id, "role": role})
    entry = AuditEntry(
        instance_id=instance.id, at=utcnow(), actor_id=claims.sub if claims else SYSTEM,
        actor_name=shown_name(session, claims) if claims else "系统",
        actor_org=org_name(session, claims.org) if claims else None,
        actor_role=role if claims else SYSTEM, stage=stage, action=action, comment=comment,
        task_id=task_id, detail=detail)
    session.add(entry)
    session.info.setdefault(_ENTRIES, []).append(entry)


_ENTRIES = "rencai.workflow.entries"  # session.info: the AuditEntry rows this use case added
_CREATED = "rencai.workflow.created"  # session.info: the instances this use case created


def created(session: Session, instance: Instance) -> None:
    """Marks an instance as made by this use case (its timeline is in memory)."""
    session.info.setdefault(_CREATED, []).append(instance)


def open_instance(session: Session, process_key: str, applicant_id: str,
                  subject_id: str | None = None) -> Instance | None:
    """The applicant's (or, for a subject person, that person's) running or returned instance
    of the process, if any."""
    query = select(Instance).where(Instance.process_key == process_key,
                                   Instance.status.in_(ACTIVE))
    query = query.where(Instance.subject_id == subject_id) if subject_id else \
        query.where(Instance.applicant_id == applicant_id)
    return session.scalars(query.order_by(Instance.started_at)).first()


# --- four eyes ------------------------------------------------------------------------------

def check_four_eyes(session: Session, instance: Instance, task: Task, person_id: str,
                    who: str = "您") -> None:
    """One person acts at one level (one review task of the BPMN, e.g. 初审 and 复审 are two)
    of an instance, and never reviews their own application (unless the process's BPMN says
    rencai:fourEyes="false"). Acting again at the same level after a resubmission is fine."""
    if task.lane == "applicant":
        return
    definition = definition_of(session, instance)
    if not engine.process_settings(definition.bpmn_xml, instance.process_key).four_eyes:
        return
    if person_id == instance.applicant_id:
        raise Forbidden(f"{who}不能审核本人提交的申请（四眼原则）")
    earlier = next((t for t in instance_tasks(session, instance)
                    if t.completed_by == person_id and t.task_key != task.task_key
                    and t.lane != "applicant"), None)
    if earlier is not None:
        raise Forbidden(f"{who}已在本申请的“{earlier.title}”环节办理过，同一人不能在两个审核层级"
                        "办理同一申请（四眼原则）")


# --- the engine's state into rows -----------------------------------------------------------

def expert_panel(session: Session, instance: Instance) -> list[str]:
    """The experts of the instance's pool who may review it, fewest open tasks first."""
    try:
        group = candidate_group(session, "expert", instance)
    except Conflict:
        return []
    pool = group.partition(":")[2]
    members = session.scalars(select(StaffMember).where(StaffMember.org_id == pool)).all()
    acted = set(session.scalars(select(Task.completed_by).where(
        Task.instance_id == instance.id, Task.lane != "expert", Task.completed_by.is_not(None))))
    experts = [m for m in members if "expert" in (m.roles or [])
               and m.account_id not in acted and m.account_id != instance.applicant_id]

    def load(member: StaffMember) -> int:
        return len(session.scalars(select(Task.id).where(Task.assignee == member.account_id,
                                                         Task.status == "ready")).all())

    return [m.account_id for m in sorted(experts, key=lambda m: (load(m), m.account_id))][:PANEL_SIZE]


def engine_context(session: Session, instance: Instance) -> dict:
    """Variables the service gives the process at every step (who sits on the panel). The
    panel is chosen only for a process whose BPMN uses `experts` (plan_project, title
    evaluation), not at every step of every process (6 queries each time)."""
    if b"experts" not in definition_of(session, instance).bpmn_xml:
        return {}
    return {"experts": expert_panel(session, instance)}


def sync(session: Session, outbox: Outbox, instance: Instance, workflow, now: datetime,
         definition: Definition | None = None) -> dict:
    """After any engine step: new task rows (with deadlines and panel assignees), tasks the
    engine dropped marked cancelled, and the instance's status, stage and next timer.
    `definition`: the version the workflow now runs on, when it is not yet the instance's
    (a migration). Returns the column changes for the instance's compare-and-swap update."""
    known = instance_tasks(session, instance)
    rows = {t.id: t for t in known}
    ready = {str(t.id): t for t in engine.ready_user_tasks(workflow)}
    for task_id, row in rows.items():
        if row.status == "ready" and task_id not in ready:
            row.status, row.completed_at = "cancelled", now
    for task_id, spiff_task in ready.items():
        due, remind = engine.deadlines(spiff_task)
        spec = spiff_task.task_spec
        if task_id in rows:
            row = rows[task_id]
            row.due_at, row.remind_at = due, remind
            # A migration may rename the waiting task or move it to another lane.
            row.title = spec.bpmn_name or engine.task_key(spiff_task)
            if spec.lane != row.lane:
                row.lane, row.candidate_group = spec.lane, candidate_group(session, spec.lane,
                                                                           instance)
            continue
        group = candidate_group(session, spec.lane, instance)
        assignee = engine.panel_member(spiff_task)
        member = session.get(StaffMember, assignee) if assignee else None
        task = Task(id=task_id, instance_id=instance.id, task_key=engine.task_key(spiff_task),
                    title=spec.bpmn_name or engine.task_key(spiff_task), lane=spec.lane,
                    candidate_group=group, status="ready", version=1, created_at=now,
                    assignee=assignee if member else None,
                    assignee_name=member.name if member else None,
                    claimed_at=now if member else None, due_at=due, remind_at=remind)
        session.add(task)
        rows[task_id] = task
        known.append(task)
        outbox.add(session, "workflow.task.created", task_id,
                   {"task_id": task_id, "instance_id": instance.id, "task_key": task.task_key,
                    "title": task.title, "candidate_group": group, "assignee": task.assignee,
                    "due_at": due.isoformat() if due else None})
    # No flush here: the rows go with the instance's update (its autoflush) or the commit.

    changes: dict = {"next_timer_at": engine.next_timer_at(workflow)}
    data = engine.workflow_data(workflow)
    result = dict(instance.result or {})
    if data.get("expert_result") is not None:
        result["expert_panel"] = data["expert_result"]
    if isinstance(data.get("process_result"), dict):  # what a process's script produced
        result.update(data["process_result"])
    if workflow.is_completed():
        outcome = engine.outcome(workflow) or "approved"
        if outcome == "approved" and result.get("certificate"):
            result.update(issue_certificate(instance, result, now))
    if result:
        changes["result"] = result
    # Status words a process gives its tasks and end events (rencai:stage: 待审核, 已完成).
    titles = engine.stage_titles((definition or definition_of(session, instance)).bpmn_xml,
                                 instance.process_key)
    if workflow.is_completed():
        changes.update(status="completed" if outcome == "approved" else "rejected",
                       outcome=outcome, completed_at=now, next_timer_at=None,
                       stage=titles.get(engine.end_reached(workflow) or "")
                       or STATUS_TITLES["completed" if outcome == "approved" else "rejected"])
    else:
        lanes = [t.task_spec.lane for t in ready.values()]
        # The applicant holds it: a return once reviewers have had the application; before
        # that (a task right after the start) or at a further declaration stage
        # (engine.is_declaration) it is their own next step, not a return.
        reviewed = been_in_review(workflow)
        declaring = [t.task_spec.bpmn_name for t in ready.values()
                     if t.task_spec.lane == "applicant"
                     and (engine.is_declaration(engine.task_key(t)) or not reviewed)]
        returned = lanes.count("applicant") > len(declaring)
        changes["status"] = "returned" if returned else "running"
        stages = [f"待申请人{name}" for name in declaring] + [
            STAGE_TITLES.get(lane, "审核中") for lane in lanes
            if lane != "applicant" or returned]
        stages = list(dict.fromkeys(stages))
        changes["stage"] = "、".join(stages) or STATUS_TITLES["running"]
        titled = [titles[engine.task_key(t)] for t in ready.values()
                  if engine.task_key(t) in titles]
        if titled:
            changes["stage"] = "、".join(dict.fromkeys(titled))
    return changes


def been_in_review(workflow) -> bool:
    """Whether anything outside the applicant's lane has completed (a review, a gateway
    after one, an overdue timer's auto-return): only then is a wait of the applicant a
    return (退回修改)."""
    return any(getattr(t.task_spec, "lane", None) not in (None, "applicant")
               for t in workflow.get_tasks(state=engine.TaskState.COMPLETED))


def issue_certificate(instance: Instance, result: dict, now: datetime) -> dict:
    """A certificate the approved process grants (result {certificate, number_prefix,
    valid_years}): its number and validity, fixed once on the instance."""
    if result.get("number"):
        return {}
    years = int(result.get("valid_years") or 1)
    start = now.astimezone(CHINA).date()
    try:
        until = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        until = start.replace(year=start.year + years, day=28)
    number = f"{result.get('number_prefix', '')}{start:%Y}{instance.id.replace('-', '')[:8].upper()}"
    return {"number": number, "valid_from": start.isoformat(),
            "valid_until": (until - timedelta(days=1)).isoformat()}


def swap(session: Session, instance: Instance, changes: dict) -> None:
    """Compare-and-swap on the instance's version: of two concurrent steps one wins. An
    instance this use case created is not in the database yet: its one INSERT (at the
    flush) carries the changes."""
    if inspect(instance).pending:
        for key, value in changes.items():
            setattr(instance, key, value)
        return
    if not compare_and_swap(session, instance, {**changes, "version": instance.version + 1}):
        raise Conflict("申请已被他人处理，请刷新后重试")


def compare_and_swap(session: Session, row: Instance | Task, values: dict,
                     only_ready: bool = False) -> bool:
    """UPDATE of `row` guarded by its version (and, `only_ready`, its status 'ready'); False
    when another use case changed it first. On success `row` holds what was written: no
    SELECT reads it back. The session's pending rows are flushed first, as the ORM's UPDATE
    did by autoflush (the step's INSERTs still go before it). Core on a statement built once:
    the ORM's UPDATE was built, keyed and set up anew on every step (a tenth of a complete's
    CPU, with the task's)."""
    session.flush()
    params = {"cas_id": row.id, "cas_version": row.version, **values}
    swapped = session.connection().execute(_cas_statement(type(row).__table__, only_ready),
                                           params)
    if swapped.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(row, key, value)
    return True


@lru_cache(maxsize=4)
def _cas_statement(table: Table, only_ready: bool):
    """UPDATE … WHERE id = :cas_id AND version = :cas_version: the columns it sets are the
    execute parameters' other keys (Core compiles, and caches, one statement per set)."""
    query = update(table).where(table.c.id == bindparam("cas_id"),
                                table.c.version == bindparam("cas_version"))
    return query.where(table.c.status == "ready") if only_ready else query


def last_opinion(session: Session, instance: Instance) -> tuple[str | None, str | None]:
    """(comment, actor id) of the last decision: the reviewer's opinion or reason."""
    row = session.execute(select(AuditEntry.comment, AuditEntry.actor_id).where(
        AuditEntry.instance_id == instance.id,
        AuditEntry.action.in_(("approve", "reject", "withdraw", "overdue")))
        .order_by(AuditEntry.id.desc())).first()
    return (row[0], row[1]) if row else (None, None)


def last_reason(session: Session, instance: Instance) -> str | None:
    """Why a returned or rejected application was sent back or refused: by a return, a timer,
    or a 不通过 (which some processes route back for 重新申请, e.g. talent_demand)."""
    if instance.status not in ("returned", "rejected"):
        return None
    return session.scalar(select(AuditEntry.comment).where(
        AuditEntry.instance_id == instance.id,
        AuditEntry.action.in_(("return", "overdue", "reject")))
        .order_by(AuditEntry.id.desc()).limit(1))


def publish_end(session: Session, outbox: Outbox, instance: Instance) -> None:
    if instance.status in ("completed", "rejected", "withdrawn"):
        comment, decided_by = last_opinion(session, instance)
        outbox.add(session, "workflow.instance.completed", instance.id,
                   {"instance_id": instance.id, "process_key": instance.process_key,
                    "business_key": instance.business_key,
                    "title": instance.title, "applicant_id": instance.applicant_id,
                    "applicant_kind": instance.applicant_kind or "person",
                    "unit_id": instance.unit_id, "subject_id": instance.subject_id,
                    "outcome": instance.outcome, "status": instance.status,
                    "comment": comment, "decided_by": decided_by, "result": instance.result,
                    "completed_at": (instance.completed_at or utcnow()).isoformat()})


def fail(session: Session, outbox: Outbox, instance: Instance, error: Exception,
         stage: str) -> None:
    """An exception in a script or condition: the instance stops as an incident for admins."""
    message = engine.describe(error)[:2000]
    swap(session, instance, {"status": "failed", "incident": message,
                             "stage": STATUS_TITLES["failed"], "next_timer_at": None,
                             "updated_at": utcnow()})
    audit(session, instance, None, stage, "incident", message)
    outbox.add(session, "workflow.instance.failed", instance.id,
               {"instance_id": instance.id, "process_key": instance.process_key,
                "error": message})


# --- what people see ------------------------------------------------------------------------

def is_staff(claims: Claims) -> bool:
    return claims.kind in STAFF_KINDS


def current_stage(session: Session, instance: Instance) -> list[dict]:
    waiting = sorted((t for t in instance_tasks(session, instance) if t.status == "ready"),
                     key=lambda t: (t.created_at, t.id))
    return [{"task_id": t.id, "title": t.title, "task_key": t.task_key,
             "holder": holder_title(session, t.candidate_group),
             "assignee_name": t.assignee_name, "due_at": t.due_at} for t in waiting]


def audit_view(entry: AuditEntry, staff: bool = True) -> dict:
    name = entry.actor_name
    if not staff and entry.actor_role not in (None, "applicant", SYSTEM):
        # Applicants see the body and role that decided; names are for staff.
        name = "评审专家" if entry.actor_role == "expert" else \
            f"{LANE_TITLES.get(entry.actor_role, '')}审核人员"
    return {"at": entry.at, "stage": entry.stage, "action": entry.action,
            "action_title": DECISION_TITLES.get(entry.action, entry.action),
            "actor_name": name, "actor_org": entry.actor_org, "actor_role": entry.actor_role,
            "comment": entry.comment, "task_id": entry.task_id, "detail": entry.detail}


def instance_summary(session: Session, instance: Instance, staff: bool = True,
                     timeline: list | None = None) -> dict:
    """`timeline`: the instance's public entries when the caller already read them (the
    last action is the last of them: no second query)."""
    if timeline is not None:
        last = timeline[-1] if timeline else None
    else:
        last = session.scalars(select(AuditEntry).where(
            AuditEntry.instance_id == instance.id, AuditEntry.action.in_(PUBLIC_ACTIONS))
            .order_by(AuditEntry.id.desc())).first()
    stage = current_stage(session, instance)
    return {
        "id": instance.id, "process_key": instance.process_key, "title": instance.title,
        "business_key": instance.business_key, "status": instance.status,
        "status_title": STATUS_TITLES.get(instance.status, instance.status),
        "outcome": instance.outcome, "stage": instance.stage,
        "holder": "、".join(dict.fromkeys(s["holder"] for s in stage)) or None,
        "started_at": instance.started_at, "completed_at": instance.completed_at,
        "current_stage": stage, "last_action": audit_view(last, staff) if last else None,
        "withdrawable": withdrawable(session, instance),
        "applicant_name": instance.applicant_name, "updated_at": instance.updated_at,
    }


def instance_view(session: Session, instance: Instance, staff: bool = True) -> dict:
    if inspect(instance).pending or instance in session.info.get(_CREATED, ()):
        # Created by this use case: its timeline is what the use case wrote, no SELECT.
        timeline = [e for e in session.info.get(_ENTRIES, ()) if e.instance_id == instance.id
                    and e.action in PUBLIC_ACTIONS]
    else:
        if session.autoflush:  # what an ORM query would flush first (the step's entry)
            session.flush()
        timeline = session.connection().execute(
            _timeline_query(), {"instance_id": instance.id}).all()
    view = {**instance_summary(session, instance, staff, timeline),
            "application": public_application(instance.application),
            "result": instance.result,
            "timeline": [audit_view(entry, staff) for entry in timeline]}
    if instance.status == "returned":
        view["return_reason"] = last_reason(session, instance)
    if staff:
        view["incident"] = instance.incident
    return view


@lru_cache(maxsize=1)
def _timeline_query():
    """The instance's public entries, as rows of what `audit_view` shows: Core, built once
    (with a bound parameter), no AuditEntry objects made (they cost more than the query)."""
    table = AuditEntry.__table__
    shown = ("at", "stage", "action", "actor_name", "actor_org", "actor_role", "comment",
             "task_id", "detail")
    return (select(*(table.c[name] for name in shown))
            .where(table.c.instance_id == bindparam("instance_id"),
                   table.c.action.in_(sorted(PUBLIC_ACTIONS)))
            .order_by(table.c.id))


def public_application(application: dict | None) -> dict | None:
    """The application as people see it: personal fields masked (rencai:piiFields); their
    sealed copies and blind indexes stay server-side."""
    if not application:
        return application
    return {k: v for k, v in application.items()
            if not (k.endswith("_sealed") or k.endswith("_index"))}


def withdrawable(session: Session, instance: Instance) -> bool:
    """Before the first review starts: nobody but the applicant has claimed or done a task."""
    if instance.status != "running":
        return False
    return not any(t.lane != "applicant" and (t.completed_by is not None or
                                              (t.assignee is not None and t.lane != "expert"))
                   for t in instance_tasks(session, instance))


def load_instance(session: Session, instance_id: str) -> Instance:
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("申请不存在")
    return instance
