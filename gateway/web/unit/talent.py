"""人才引进专区 (seed 003): 业务权限开通 (policy, conditions and process; 申请开通 / 修改资料 /
重新申请; 查看详情), 需求申报 (新增申报, the list with 待审核 / 待复审 / 已完成 / 未通过, 查看
the reason, 重新申请); 工作居住证. Every form is the process's own JSON Schema, rendered by the
one renderer; an application's page shows its timeline."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from .. import forms
from ..auth import api
from ..client import ApiError
from ..person.apply import my_files, take_uploads
from . import bp, unit_id, unit_required

TALENT = "talent_intro"
UNIT_PROCESSES = ("business_permission", "talent_demand", "work_permit")


@bp.route("/talent")
@unit_required
def talent():
    status = request.args.get("status") or None
    permission = api().get("orgs", f"units/{unit_id()}/permissions/{TALENT}")
    declarations = api().get("workflow", "declarations", status=status,
                             page=request.args.get("page", 1, type=int), per_page=10)
    return render_template("unit/talent.html", permission=permission,
                           declarations=declarations, status=status)


def _start_form(process_key: str) -> dict:
    for process in api().get("workflow", "processes"):
        if process["process_key"] == process_key:
            return process["start_form"]
    abort(404)


def _with_employees(schema: dict) -> tuple[dict, dict]:
    """A form naming a subject employee (`employee_id`, 工作居住证) picks from the unit's
    在职员工: the field becomes a choice of them; their names by id."""
    if "employee_id" not in schema.get("properties", {}):
        return schema, {}
    staff = api().get("orgs", f"units/{unit_id()}/employees", per_page=100)["items"]
    names = {e["person_id"]: e["person_name"] for e in staff}
    field = {**schema["properties"]["employee_id"],
             "oneOf": [{"const": pid, "title": name} for pid, name in names.items()]}
    return {**schema, "properties": {**schema["properties"], "employee_id": field}}, names


def _earlier(schema: dict, instance_id: str | None) -> dict:
    """重新申请 / 修改资料 open with the earlier application; masked values (a phone shown as
    139****1111) are left for the unit to type again rather than sent back masked."""
    if not instance_id:
        return {}
    earlier = api().get("workflow", f"instances/{instance_id}").get("application") or {}
    return {k: v for k, v in earlier.items() if k in schema.get("properties", {})
            and not (isinstance(v, str) and "****" in v)}


@bp.route("/apply/<process_key>", methods=["GET", "POST"])
@unit_required
def apply(process_key):
    if process_key not in UNIT_PROCESSES:
        abort(404)
    schema, employees = _with_employees(_start_form(process_key))
    files = my_files()
    files_by_id = {f["id"]: f for f in files}
    data, errors, message = _earlier(schema, request.args.get("from")), {}, None
    if request.method == "POST":
        data = forms.parse(schema, request.form, files_by_id)
        if data.get("employee_id") in employees and not data.get("employee_name"):
            data["employee_name"] = employees[data["employee_id"]]
        errors = take_uploads(schema, data, files_by_id)
        if not errors:
            try:
                instance = api().post("workflow", "instances",
                                      {"process_key": process_key, "data": data})
                flash("提交成功，等待工作人员审核。可在本页查看审核进度。", "success")
                return redirect(url_for("unit.application", instance_id=instance["id"]))
            except ApiError as error:
                if error.status >= 500 or error.status == 401:
                    raise
                message, errors = error.detail, error.errors
        files = my_files()
    root = forms.build(schema, data, errors)
    return render_template("unit/apply.html", schema=schema, root=root, files=files,
                           errors=errors, message=message,
                           unplaced=forms.unplaced_errors(root, errors))


@bp.route("/applications/<instance_id>")
@unit_required
def application(instance_id):
    """查看 / 查看详情: the application read-only, its state, the reason, the timeline."""
    instance = api().get("workflow", f"instances/{instance_id}")
    root = forms.build(_start_form(instance["process_key"]), instance.get("application"))
    # The unit's own step (重新申请, 修改): the applicant lane's task of the process.
    my_task = next((s for s in instance.get("current_stage") or [] if s.get("task_id") and (
        s.get("holder") in ("申请人", "申请单位") or s.get("task_key", "").startswith("revise")
        or s.get("title") in ("重新申请", "修改资料"))), None)
    return render_template("unit/application.html", instance=instance, root=root,
                           my_task=my_task)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@unit_required
def revise(task_id):
    """重新申请 / 修改资料: the applicant's task form, opened with what was submitted."""
    detail = api().get("workflow", f"tasks/{task_id}")
    schema, instance = detail["form"], detail["instance"]
    files = my_files()
    files_by_id = {f["id"]: f for f in files}
    properties = schema.get("properties", {})
    data = {k: v for k, v in (instance.get("application") or {}).items() if k in properties}
    errors, message = {}, None
    if request.method == "POST":
        data = forms.parse(schema, request.form, files_by_id)
        errors = take_uploads(schema, data, files_by_id)
        if not errors:
            try:
                api().post("workflow", f"tasks/{task_id}/complete", {"data": data})
                flash("已重新提交，等待工作人员审核", "success")
                return redirect(url_for("unit.application", instance_id=instance["id"]))
            except ApiError as error:
                if error.status >= 500 or error.status == 401:
                    raise
                message, errors = error.detail, error.errors
        files = my_files()
    root = forms.build(schema, data, errors)
    return render_template("unit/apply.html", schema=schema, root=root, files=files,
                           errors=errors, message=message, task=detail, instance=instance,
                           unplaced=forms.unplaced_errors(root, errors))


@bp.route("/work-permits")
@unit_required
def work_permits():
    """工作居住证: the unit's applications for its employees and their status."""
    page = api().get("workflow", "instances", per_page=100)
    items = [i for i in page["items"] if i["process_key"] == "work_permit"]
    return render_template("unit/work_permits.html", items=items)
