"""申请实例与运维: search every instance, an instance on its diagram (path taken, current task),
its data and timeline; incidents (edit the data, retry); migration of running instances to
another version (dry run first, then migrate)."""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for

from ..auth import api
from ..client import ApiError
from . import admin_required, bp

STATUSES = {"active": "在办（含异常）", "running": "办理中", "returned": "已退回",
            "completed": "已办结", "rejected": "未通过", "withdrawn": "已撤回", "failed": "办理异常"}
FILTERS = ("process_key", "status", "applicant", "unit_id", "started_from", "started_to")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def user_tasks(xml: str, process_key: str) -> list[dict]:
    """The user tasks of the process, in the file's order, with their lane: where an admin
    may move an instance (back, forward or sideways)."""
    from lxml import etree  # admins only: not loaded in every gateway process

    # The version's XML comes from workflow (checked at deploy); read without entities or
    # network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml.encode(), parser)
    process = next((p for p in root.iter(f"{BPMN}process") if p.get("id") == process_key), None)
    if process is None:
        return []
    lanes = {ref.text.strip(): lane.get("name") for lane in process.iter(f"{BPMN}lane")
             for ref in lane.findall(f"{BPMN}flowNodeRef") if ref.text}
    return [{"id": t.get("id"), "name": t.get("name") or t.get("id"),
             "lane": lanes.get(t.get("id"))} for t in process.findall(f"{BPMN}userTask")]


@bp.route("/instances")
@admin_required
def instances():
    query = {k: request.args.get(k, "").strip() for k in FILTERS}
    page = request.args.get("page", 1, type=int)
    errors, result = {}, {"items": [], "total": 0, "page": 1, "per_page": 20}
    try:
        result = api().get("workflow", "admin/instances", page=page, per_page=20,
                           **{k: v for k, v in query.items() if v})
    except ApiError as error:
        if error.status != 422:
            raise
        errors = error.errors
    processes = api().get("workflow", "admin/definitions")
    from .organisation import _all_orgs

    units = sorted((o for o in _all_orgs() if o["kind"] == "unit"), key=lambda o: o["name"])
    return render_template("admin/instances.html", query=query, result=result, errors=errors,
                           processes=processes, statuses=STATUSES, units=units,
                           args={k: v for k, v in query.items() if v})


@bp.route("/instances/<instance_id>", methods=["GET", "POST"])
@admin_required
def instance(instance_id: str):
    data_text, errors, message = None, {}, None
    if request.method == "POST":  # 修正数据后重试
        data_text = request.form.get("data", "")
        try:
            data = json.loads(data_text or "{}")
            if not isinstance(data, dict):
                raise ValueError("须是一个 JSON 对象")
        except ValueError as error:
            errors["data"] = f"流程数据不是有效的 JSON 对象：{error}"
        else:
            try:
                done = api().post("workflow", f"admin/incidents/{instance_id}/retry", {"data": data})
            except ApiError as error:
                if error.status not in (400, 409, 422):
                    raise
                message, errors = error.detail, error.errors
            else:
                if done["status"] == "failed":
                    message = f"重试后仍然出错：{done.get('incident')}"
                else:
                    flash(f"已重试，当前环节：{done['stage']}", "success")
                    return redirect(url_for("admin.instance", instance_id=instance_id))
    detail = api().get("workflow", f"instances/{instance_id}")
    trace = api().get("workflow", f"admin/instances/{instance_id}/trace")
    trail = api().get("workflow", f"instances/{instance_id}/audit")
    file = api().get("workflow", f"admin/definitions/{trace['process_key']}/versions/{trace['version']}")
    if data_text is None:
        data_text = json.dumps(trace["data"], ensure_ascii=False, indent=2)
    from .processes import LANE_TITLES

    return render_template("admin/instance.html", instance=detail, trace=trace, trail=trail,
                           xml=file["bpmn_xml"], data_text=data_text, errors=errors,
                           tasks=user_tasks(file["bpmn_xml"], trace["process_key"]),
                           lane_titles=LANE_TITLES,
                           message=message, statuses=STATUSES), 422 if errors else 200


@bp.route("/incidents")
@admin_required
def incidents():
    page = request.args.get("page", 1, type=int)
    result = api().get("workflow", "admin/incidents", page=page, per_page=20)
    return render_template("admin/incidents.html", result=result)


@bp.route("/processes/<key>/migrate", methods=["POST"])
@admin_required
def migrate(key: str):
    """Dry run (the default) reports per instance; 迁移 moves those that can."""
    version = request.form.get("version", type=int)
    dry_run = request.form.get("action") != "migrate"
    report, errors = None, {}
    if not version:
        errors["version"] = "请选择目标版本"
    else:
        try:
            report = api().post("workflow", f"admin/definitions/{key}/migrations",
                                {"version": version, "dry_run": dry_run})
        except ApiError as error:
            if error.status not in (400, 404, 409, 422):
                raise
            errors = error.errors or {"version": error.detail}
    from .processes import versions_page

    return versions_page(key, report=report, migrate_errors=errors, target=version)


@bp.route("/instances/<instance_id>/move", methods=["POST"])
@admin_required
def move(instance_id: str):
    """移动环节: to any user task of the definition (back, forward or sideways), with a
    reason (audited)."""
    body = {"task_key": request.form.get("task_key", ""),
            "reason": request.form.get("reason", "").strip()}
    try:
        moved = api().post("workflow", f"admin/instances/{instance_id}/move", body)
    except ApiError as error:
        if error.status not in (400, 409, 422):
            raise
        for field, text in (error.errors or {"task_key": error.detail}).items():
            flash(f"未能移动：{text}", "danger")
    else:
        flash(f"已移动，当前环节：{moved['stage']}", "success")
    return redirect(url_for("admin.instance", instance_id=instance_id))
