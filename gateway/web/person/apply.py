"""申请计划项目, 政工职评 and every other start form (the schema renderer, never a form per
process): 基础信息确认 (prefilled) → 填写 → 预览 → 提交; 我的申请; an application's page with its
timeline, 撤回, and the applicant's task (退回修改 → fix and resubmit, 完善材料)."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for

from .. import filters, forms
from ..auth import api, login_required
from ..client import ApiError
from . import bp

# The materials a kind of attachment is filed under in 附件管理 when uploaded from a form.
UPLOAD_CATEGORY = {"education_certificate": "degree", "work_proof": "labour_contract"}


def my_files() -> list[dict]:
    """附件管理's files, for the attachment pickers of a form."""
    page = api().get("files", "attachments", per_page=100)
    files = []
    for a in page["items"]:
        name = a.get("display_name") or a.get("original_name")
        # Same-named files are told apart by when they were uploaded.
        files.append({"id": a["id"], "name": name, "category": a.get("category"),
                      "locked": a.get("locked"),
                      "label": f"{name}（{filters.when(a.get('created_at'), '%m-%d %H:%M')} 上传）"})
    return files


def take_uploads(schema: dict, data: dict, files_by_id: dict) -> dict:
    """Files chosen in a form's 上传新文件 go to 附件管理 first; the form then names them.
    Returns {field: message} for a file files refused."""
    errors = {}
    for name, sub in schema.get("properties", {}).items():
        if not forms.is_attachment_list(name, sub):
            continue
        upload = request.files.get(f"{name}.__upload")
        if not upload or not upload.filename:
            continue
        kind = request.form.get(f"{name}.__upload_kind")
        try:
            stored = api().upload("files", "attachments",
                                  {"category": UPLOAD_CATEGORY.get(kind, "other")}, "file",
                                  upload.filename, upload.stream, upload.mimetype)
        except ApiError as error:
            if error.status >= 500:
                raise
            errors[name] = next(iter(error.errors.values()), error.detail)
            continue
        files_by_id[stored["id"]] = {"name": stored.get("display_name") or upload.filename}
        if "file_id" in sub.get("items", {}).get("properties", {}):
            data.setdefault(name, []).append(
                {"kind": kind or "other", "file_id": stored["id"],
                 "name": stored.get("display_name") or upload.filename})
        else:
            data.setdefault(name, []).append(stored["id"])
    return errors


def _process(process_key: str) -> dict:
    for process in api().get("workflow", "processes"):
        if process["process_key"] == process_key:
            return process
    abort(404)


@bp.route("/apply/<process_key>", methods=["GET", "POST"])
@login_required
def apply(process_key):
    process = _process(process_key)
    schema = process["start_form"]
    if request.method == "GET":  # the reason it can't start, before anything is filled in
        entry = next((e for e in api().get("workflow", "catalogue")
                      if e["process_key"] == process_key), None)
        if entry and not entry["can_start"]:
            return render_template("person/cannot_apply.html", process=process, entry=entry)
    try:
        prefill = api().get("workflow", f"processes/{process_key}/prefill")
    except ApiError as error:
        if error.status >= 500:
            raise
        prefill = {"basic_info": {}, "form": {}, "profile_complete": True}
    files = my_files()
    files_by_id = {f["id"]: f for f in files}
    data, errors, message, step = prefill.get("form") or {}, {}, None, "form"
    if request.method == "POST":
        if request.form.get("__data"):  # 提交 or 返回修改 from the preview
            data = json.loads(request.form["__data"])
        else:
            data = forms.parse(schema, request.form, files_by_id)
            errors = take_uploads(schema, data, files_by_id)
        action = request.form.get("action")
        if action == "submit" and not errors:
            try:
                instance = api().post("workflow", "instances",
                                      {"process_key": process_key, "data": data})
                flash(f"{process['name']}已提交，当前环节：{instance['stage']}", "success")
                return redirect(url_for("person.application", instance_id=instance["id"]))
            except ApiError as error:
                if error.status >= 500:
                    raise
                message, errors = error.detail, error.errors
        elif action == "preview" and not errors:
            step = "preview"
        elif errors:
            message = "上传的文件未通过检查"
        files = my_files() if any(k.endswith("__upload") for k in request.files) else files
    root = forms.build(schema, data, errors)
    return render_template("person/apply.html", process=process, prefill=prefill, root=root,
                           files=files, data=data, errors=errors, message=message, step=step,
                           files_by_id={f["id"]: f for f in files},
                           unplaced=forms.unplaced_errors(root, errors),
                           data_json=json.dumps(data, ensure_ascii=False))


@bp.route("/applications")
@login_required
def applications():
    page = request.args.get("page", 1, type=int)
    status = request.args.get("status") or None
    result = api().get("workflow", "instances", page=page, per_page=10, status=status)
    return render_template("person/applications.html", page=result, status=status)


@bp.route("/applications/<instance_id>")
@login_required
def application(instance_id):
    instance = api().get("workflow", f"instances/{instance_id}")
    my_task = None
    for stage in instance.get("current_stage") or []:
        if stage.get("holder") == "申请人" and stage.get("task_id"):
            my_task = stage
    # What was submitted, read-only, drawn from the process's start form.
    start = next((p["start_form"] for p in api().get("workflow", "processes")
                  if p["process_key"] == instance["process_key"]), None)
    content = forms.build(start, instance.get("application") or {}) if start else None
    return render_template("person/application.html", instance=instance, my_task=my_task,
                           content=content)


@bp.route("/applications/<instance_id>/withdraw", methods=["POST"])
@login_required
def withdraw(instance_id):
    reason = request.form.get("reason", "").strip() or "申请人撤回"
    try:
        api().post("workflow", f"instances/{instance_id}/withdraw", {"reason": reason})
        flash("申请已撤回", "success")
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(error.detail, "warning")
    return redirect(url_for("person.application", instance_id=instance_id))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id):
    """The applicant's own task (退回修改, 完善材料): its form, prefilled with the application."""
    detail = api().get("workflow", f"tasks/{task_id}")
    schema = detail["form"]
    instance = detail["instance"]
    files = my_files()
    files_by_id = {f["id"]: f for f in files}
    data = _task_prefill(schema, instance.get("application") or {})
    errors, message = {}, None
    if request.method == "POST":
        data = forms.parse(schema, request.form, files_by_id)
        errors = take_uploads(schema, data, files_by_id)
        if not errors:
            try:
                api().post("workflow", f"tasks/{task_id}/complete", {"data": data})
                flash("已重新提交" if instance.get("status") == "returned"
                      else f"{detail['title']}已提交", "success")
                return redirect(url_for("person.application", instance_id=instance["id"]))
            except ApiError as error:
                if error.status >= 500:
                    raise
                message, errors = error.detail, error.errors
        files = my_files()
    root = forms.build(schema, data, errors)
    return render_template("person/task.html", task=detail, instance=instance, root=root,
                           files=files, errors=errors, message=message,
                           unplaced=forms.unplaced_errors(root, errors))


def _task_prefill(schema: dict, application: dict) -> dict:
    """A returned application opens with what was submitted (the fields this form has)."""
    properties = schema.get("properties", {})
    return {k: v for k, v in application.items() if k in properties}
