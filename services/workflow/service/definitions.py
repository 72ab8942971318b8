"""Definitions: BPMN + forms deployed at start when new, and the admins' API — upload a new
version, validate it, list, download, diff against the running one, deploy, roll back, and
migrate running instances (dry run first)."""
from __future__ import annotations

import difflib
import hashlib
import json
import uuid
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import engine, forms
from ..model import LANE_TITLES, Definition, Instance, Task
from .base import ACTIVE, audit, is_admin, swap, sync
from .reads import remember


def _checksum(xml: bytes, process_forms: dict) -> str:
    digest = hashlib.sha256(xml)
    digest.update(json.dumps(process_forms, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _name(xml: bytes, process_key: str) -> str:
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", engine.BPMN_NS)
    return (process.get("name") if process is not None else None) or process_key


def validate_definition(process_key: str, xml: bytes, process_forms: dict) -> None:
    """Parse with SpiffWorkflow, sandbox every expression, then the rules of our processes:
    every user task in a lane naming a known role and with a form; every gateway with more
    than one way out gives each a condition or names a default."""
    errors: dict[str, str] = {}
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        raise ValidationFailed(f"BPMN 文件无效：{error}", {"bpmn": f"XML 格式错误：{error}"})
    process = root.find(f"bpmn:process[@id='{process_key}']", engine.BPMN_NS)
    if process is None:
        raise ValidationFailed(f"BPMN 中没有流程 {process_key}",
                               {"bpmn": f"BPMN 中没有编号为 {process_key} 的流程"})
    # What the engine cannot run (unsupported elements and events, unresolved or recursive
    # call activities, expressions the sandbox refuses), each under its element's id; a model
    # too large to run is refused before anything else looks at it.
    problems = engine.model_problems(xml, process_key)
    if "" in problems:
        raise ValidationFailed(problems[""], {"bpmn": problems[""]})
    errors.update({f"bpmn.{element}": problem for element, problem in problems.items()})
    if "start" not in process_forms:
        errors["forms.start"] = f"流程 {process_key} 缺少申请表单 start.schema.json"
    # The rules hold in every process of the file: a call activity runs the others.
    for each in root.iterfind("bpmn:process", engine.BPMN_NS):
        if each is not process and each.get("isExecutable") == "false":
            continue  # another party's pool, drawn for the reader: never run
        lanes = {ref.text.strip(): lane.get("name", "")
                 for lane in each.iterfind(".//bpmn:lane", engine.BPMN_NS)
                 for ref in lane.iterfind("bpmn:flowNodeRef", engine.BPMN_NS) if ref.text}
        for task in each.iterfind(".//bpmn:userTask", engine.BPMN_NS):
            task_id = task.get("id")
            lane = lanes.get(task_id)
            if lane is None:
                errors[f"bpmn.{task_id}"] = f"用户任务“{task.get('name') or task_id}”不在任何泳道中"
            elif lane not in LANE_TITLES:
                errors[f"bpmn.{task_id}"] = f"用户任务“{task.get('name') or task_id}”所在泳道 {lane} 不是已知角色"
            if task_id not in process_forms:
                errors[f"forms.{task_id}"] = f"用户任务“{task.get('name') or task_id}”缺少表单 {task_id}.schema.json"
        flows_from: dict[str, list] = {}  # one pass, so that validation stays linear in the model
        for flow in each.iterfind(".//bpmn:sequenceFlow", engine.BPMN_NS):
            flows_from.setdefault(flow.get("sourceRef"), []).append(flow)
        for tag in ("exclusiveGateway", "inclusiveGateway"):
            for gateway in each.iterfind(f".//bpmn:{tag}", engine.BPMN_NS):
                outgoing = flows_from.get(gateway.get("id"), [])
                if len(outgoing) < 2:
                    continue
                default = gateway.get("default")
                bare = [f.get("id") for f in outgoing if f.get("id") != default
                        and f.find("bpmn:conditionExpression", engine.BPMN_NS) is None]
                if bare:
                    errors[f"bpmn.{gateway.get('id')}"] = \
                        f"网关“{gateway.get('name') or gateway.get('id')}”的出口 {'、'.join(bare)} 既无条件也不是默认出口"
    settings_problem = engine.settings_problem(xml, process_key)  # names the attribute
    if settings_problem:
        errors["bpmn.process"] = settings_problem
    for name, schema in process_forms.items():
        problem = forms.schema_problem(process_key, process_forms, name)
        if problem:
            errors[f"forms.{name}"] = problem
    if errors:
        raise ValidationFailed("流程定义未通过校验：" + "；".join(errors.values()), errors)
    try:
        engine.check_bpmn(xml, process_key)
    except engine.UnsafeBpmn as error:
        field = f"bpmn.{error.element}" if error.element else "bpmn"
        raise ValidationFailed(str(error), {field: str(error)}) from error


def deploy(db: Database, process_key: str, xml: bytes, process_forms: dict,
           uploaded_by: str | None = None, state: str = "deployed",
           note: str | None = None) -> Definition:
    """Stores a version unless the latest one has the same BPMN and forms; `deployed` makes it
    the one new instances start on (the previous one is retired)."""
    validate_definition(process_key, xml, process_forms)
    checksum = _checksum(xml, process_forms)
    try:
        with db.transaction() as session:
            latest = _latest(session, process_key)
            if latest is not None and latest.checksum == checksum:
                return latest
            definition = Definition(id=str(uuid.uuid4()), process_key=process_key,
                                    name=_name(xml, process_key),
                                    version=(latest.version + 1) if latest else 1,
                                    checksum=checksum, bpmn_xml=xml, forms=process_forms,
                                    deployed_at=utcnow(), state="draft",
                                    uploaded_by=uploaded_by, note=note)
            session.add(definition)
            session.flush()
            if state == "deployed":
                _make_current(session, definition)
        remember(definition)
        return definition
    except IntegrityError:
        # Another process deployed the same files at the same moment: use theirs.
        with db.reading() as session:
            return _latest(session, process_key)


def deploy_directory(db: Database, bpmn_dir: Path) -> list[Definition]:
    """At start: bpmn/<key>.bpmn with bpmn/forms/<key>/, deployed when new."""
    return [deploy(db, path.stem, path.read_bytes(), forms.load_forms(bpmn_dir / "forms" / path.stem))
            for path in sorted(bpmn_dir.glob("*.bpmn"))]


def _latest(session: Session, process_key: str) -> Definition | None:
    return session.scalars(select(Definition).where(Definition.process_key == process_key)
                           .order_by(Definition.version.desc())).first()


def current_definition(session: Session, process_key: str) -> Definition | None:
    """The version new instances start on."""
    return session.scalars(select(Definition).where(Definition.process_key == process_key,
                                                    Definition.state == "deployed")
                           .order_by(Definition.version.desc())).first()


def _make_current(session: Session, definition: Definition) -> None:
    session.execute(update(Definition).where(Definition.process_key == definition.process_key,
                                             Definition.id != definition.id,
                                             Definition.state == "deployed")
                    .values(state="retired"))
    definition.state = "deployed"


def list_processes(db: Database) -> list[dict]:
    with db.reading() as session:
        keys = session.scalars(select(Definition.process_key).distinct()).all()
        current = [d for d in (current_definition(session, key) for key in sorted(keys))
                   if d and not engine.start_event_of(d.bpmn_xml, d.process_key)]
    return [{"process_key": d.process_key, "name": d.name, "version": d.version,
             "start_form": forms.resolved_schema(d.process_key, d.forms, "start")} for d in current]


# --- the admins' API ------------------------------------------------------------------------

def _admin(claims: Claims) -> None:
    if not is_admin(claims):
        raise Forbidden("仅管理员可以管理流程定义")


def _view(definition: Definition, instances: int | None = None) -> dict:
    return {"id": definition.id, "process_key": definition.process_key, "name": definition.name,
            "version": definition.version, "state": definition.state,
            "checksum": definition.checksum, "uploaded_by": definition.uploaded_by,
            "uploaded_at": definition.deployed_at, "note": definition.note,
            "forms": sorted(definition.forms), "running_instances": instances}


def _version(session: Session, process_key: str, version: int) -> Definition:
    definition = session.scalars(select(Definition).where(
        Definition.process_key == process_key, Definition.version == version)).first()
    if definition is None:
        raise NotFound(f"流程 {process_key} 没有第 {version} 版")
    return definition


def upload(db: Database, claims: Claims, process_key: str, xml: str, process_forms: dict,
           note: str | None) -> dict:
    """A new version as a draft (validated); deploy makes it current."""
    _admin(claims)
    definition = deploy(db, process_key, xml.encode("utf-8"), process_forms,
                        uploaded_by=claims.name or claims.sub, state="draft", note=note)
    return _view(definition)


def catalogue_of_definitions(db: Database, claims: Claims) -> list[dict]:
    """Every process an admin can edit: its deployed version, the drafts newer than it, and
    its running instances (every version)."""
    _admin(claims)
    with db.reading() as session:
        rows = session.scalars(select(Definition).order_by(Definition.process_key,
                                                           Definition.version)).all()
        running = dict(session.execute(
            select(Instance.process_key, func.count()).where(Instance.status.in_(ACTIVE))
            .group_by(Instance.process_key)).all())
        result: dict[str, dict] = {}
        for d in rows:
            entry = result.setdefault(d.process_key, {
                "process_key": d.process_key, "name": d.name, "deployed_version": None,
                "latest_version": 0, "drafts": [], "running_instances": running.get(d.process_key, 0)})
            entry["latest_version"] = d.version
            if d.state == "deployed":
                entry.update(name=d.name, deployed_version=d.version)
        for entry in result.values():
            entry["drafts"] = [d.version for d in rows if d.process_key == entry["process_key"]
                               and d.state == "draft"
                               and d.version > (entry["deployed_version"] or 0)]
        return list(result.values())


def check(claims: Claims, process_key: str, xml: str, process_forms: dict) -> dict:
    _admin(claims)
    validate_definition(process_key, xml.encode("utf-8"), process_forms)
    return {"valid": True, "process_key": process_key}


def versions(db: Database, claims: Claims, process_key: str) -> list[dict]:
    _admin(claims)
    with db.reading() as session:
        rows = session.scalars(select(Definition).where(Definition.process_key == process_key)
                               .order_by(Definition.version.desc())).all()
        if not rows:
            raise NotFound("流程不存在")
        return [_view(d, len(session.scalars(select(Instance.id).where(
            Instance.definition_id == d.id, Instance.status.in_(ACTIVE))).all())) for d in rows]


def download(db: Database, claims: Claims, process_key: str, version: int) -> dict:
    _admin(claims)
    with db.reading() as session:
        definition = _version(session, process_key, version)
        return {**_view(definition), "bpmn_xml": definition.bpmn_xml.decode("utf-8"),
                "form_schemas": definition.forms}


def diff(db: Database, claims: Claims, process_key: str, version: int) -> dict:
    """What changes against the running (deployed) version: a unified diff of the BPMN and the
    forms added, removed or changed."""
    _admin(claims)
    with db.reading() as session:
        target = _version(session, process_key, version)
        running = current_definition(session, process_key)
    if running is None:
        raise NotFound("流程没有运行中的版本")
    text = "".join(difflib.unified_diff(
        running.bpmn_xml.decode("utf-8").splitlines(keepends=True),
        target.bpmn_xml.decode("utf-8").splitlines(keepends=True),
        fromfile=f"v{running.version}", tofile=f"v{target.version}"))
    old, new = running.forms, target.forms
    return {"from_version": running.version, "to_version": target.version, "bpmn_diff": text,
            "forms_added": sorted(set(new) - set(old)),
            "forms_removed": sorted(set(old) - set(new)),
            "forms_changed": sorted(k for k in set(old) & set(new) if old[k] != new[k])}


def make_current(db: Database, claims: Claims, process_key: str, version: int) -> dict:
    """Deploy a draft, or roll back to an earlier version: new instances start on it;
    running instances keep theirs."""
    _admin(claims)
    with db.transaction() as session:
        definition = _version(session, process_key, version)
        _make_current(session, definition)
        return _view(definition)


# --- migration of running instances ---------------------------------------------------------

def _migration_problem(session: Session, instance: Instance, target: Definition) -> str | None:
    if instance.definition_id == target.id:
        return "已在目标版本"
    if instance.status not in ACTIVE:
        return "申请已不在办理中"
    spec_ids = _task_ids(target.bpmn_xml, target.process_key)
    waiting = session.scalars(select(Task.task_key).where(Task.instance_id == instance.id,
                                                          Task.status == "ready")).all()
    missing = sorted(set(waiting) - spec_ids)
    if missing:
        return f"目标版本缺少当前环节：{'、'.join(missing)}"
    lacking = sorted(k for k in set(waiting) if k not in target.forms)
    if lacking:
        return f"目标版本缺少当前环节的表单：{'、'.join(lacking)}"
    try:
        return engine.migration_problem(target.bpmn_xml, target.process_key,
                                        engine.restore(instance.serialized))
    except Exception as error:  # noqa: BLE001 - reported, never raised
        return f"无法比较流程版本：{error}"


def _task_ids(xml: bytes, process_key: str) -> set[str]:
    process = etree.fromstring(xml).find(f"bpmn:process[@id='{process_key}']", engine.BPMN_NS)
    return {node.get("id") for node in process.iter() if node.get("id")}


def migrate(db: Database, outbox: Outbox, claims: Claims, process_key: str, version: int,
            instance_ids: list[str] | None, dry_run: bool) -> dict:
    """Moves running instances onto `version`. A dry run reports which can move and why the
    others cannot; otherwise each movable instance moves in its own transaction."""
    _admin(claims)
    with db.reading() as session:
        target = _version(session, process_key, version)
        query = select(Instance).where(Instance.process_key == process_key)
        if instance_ids:
            query = query.where(Instance.id.in_(instance_ids))
        else:
            query = query.where(Instance.status.in_(ACTIVE))
        candidates = session.scalars(query.order_by(Instance.started_at)).all()
        report = [{"instance_id": i.id, "title": i.title, "from_version": _version_of(session, i),
                   "problem": _migration_problem(session, i, target)} for i in candidates]
    movable = [r["instance_id"] for r in report if r["problem"] is None]
    moved, failed = [], []
    if not dry_run:
        for instance_id in movable:
            try:
                _migrate_one(db, outbox, claims, instance_id, target)
                moved.append(instance_id)
            except Exception as error:  # noqa: BLE001 - reported per instance
                failed.append({"instance_id": instance_id, "problem": f"迁移失败：{error}"})
    return {"to_version": version, "dry_run": dry_run,
            "movable": movable, "moved": moved,
            "blocked": [{"instance_id": r["instance_id"], "problem": r["problem"]}
                        for r in report if r["problem"]] + failed}


def _version_of(session: Session, instance: Instance) -> int:
    return session.get(Definition, instance.definition_id).version


def _migrate_one(db: Database, outbox: Outbox, claims: Claims, instance_id: str,
                 target: Definition) -> None:
    """SpiffWorkflow aligns the instance's tasks with the target spec and re-predicts what
    waits; the task rows follow (sync)."""
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        problem = _migration_problem(session, instance, target)
        if problem:
            raise Conflict(problem)
        workflow = engine.migrate_to(target.bpmn_xml, target.process_key,
                                     engine.restore(instance.serialized))
        now = utcnow()
        from_version = _version_of(session, instance)
        changes = sync(session, outbox, instance, workflow, now, definition=target)
        swap(session, instance, {**changes, "definition_id": target.id,
                                 "serialized": engine.dump(workflow), "updated_at": now})
        audit(session, instance, claims, "流程版本迁移", "migrate",
              f"第 {from_version} 版 → 第 {target.version} 版", role="admin",
              detail={"from": from_version, "to": target.version})
        outbox.add(session, "workflow.instance.migrated", instance.id,
                   {"instance_id": instance.id, "from_version": from_version,
                    "to_version": target.version})
