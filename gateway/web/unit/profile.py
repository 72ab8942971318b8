"""单位信息完善 (first login: 一般信息, 单位资质, 业务经办人, 电子附件 → 预览 → 提交),
单位完整信息 (view) and its 修改, and 维护业务经办人信息 (seed 002 图 8–9, 21–24). The form is
a JSON Schema of ours rendered by the one renderer; orgs validates."""
from __future__ import annotations

import json
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for

from .. import forms
from ..auth import api
from ..client import ApiError
from ..person.apply import my_files, take_uploads
from . import bp, unit_id, unit_required

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "unit_profile.schema.json")
                    .read_text("utf-8"))
HANDLER = {"type": "object", "required": ["handler", "emergency"],
           "properties": {k: SCHEMA["properties"][k] for k in ("handler", "emergency")}}


def _form_data(profile: dict, schema: dict) -> dict:
    return {k: profile[k] for k in schema["properties"] if profile.get(k) not in (None, {}, [])}


@bp.route("/profile")
@unit_required
def profile():
    """单位完整信息 (also the preview before 提交: what is still missing)."""
    current = api().get("orgs", f"units/{unit_id()}/profile")
    files = {f["id"]: f for f in my_files()}
    root = forms.build(SCHEMA, _form_data(current, SCHEMA))
    return render_template("unit/profile.html", profile=current, root=root, files_by_id=files)


@bp.route("/profile/edit", methods=["GET", "POST"])
@unit_required
def profile_edit():
    path = f"units/{unit_id()}/profile"
    current = api().get("orgs", path)
    files = my_files()
    files_by_id = {f["id"]: f for f in files}
    data, errors, message = _form_data(current, SCHEMA), {}, None
    if request.method == "POST":
        data = forms.parse(SCHEMA, request.form, files_by_id)
        errors = take_uploads(SCHEMA, data, files_by_id)
        if not errors:
            try:
                api().put("orgs", path, data)
                if request.form.get("action") == "submit":
                    api().post("orgs", f"{path}/submit")
                    flash("单位信息已提交", "success")
                    return redirect(url_for("unit.home"))
                flash("已保存，请核对后提交", "success")
                return redirect(url_for("unit.profile"))
            except ApiError as error:
                if error.status >= 500 or error.status == 401:
                    raise
                message, errors = error.detail, error.errors
        files = my_files()
    root = forms.build(SCHEMA, data, errors)
    return render_template("unit/profile_edit.html", root=root, files=files, errors=errors,
                           message=message, unplaced=forms.unplaced_errors(root, errors),
                           profile=current)


@bp.route("/handler", methods=["GET", "POST"])
@unit_required
def handler():
    """维护业务经办人信息: 业务经办人 and 紧急联系人 with their phones."""
    current = api().get("orgs", f"units/{unit_id()}/profile")
    data, errors, message = _form_data(current, HANDLER), {}, None
    if request.method == "POST":
        data = forms.parse(HANDLER, request.form)
        try:
            api().put("orgs", f"units/{unit_id()}/handler", data)
            flash("业务经办人信息已更新", "success")
            return redirect(url_for("unit.home"))
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
    root = forms.build(HANDLER, data, errors)
    return render_template("unit/handler.html", root=root, errors=errors, message=message,
                           unplaced=forms.unplaced_errors(root, errors))
