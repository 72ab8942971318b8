"""个人信息完善 / 个人基础信息 (seed 000 图 10–11): 基本信息, 教育信息, 学习经历, 工作经历 (the schema
renderer over schemas/profile.schema.json), 证件照片 (上传 → 裁切), 预览, 提交; later view and
modify."""
from __future__ import annotations

import json
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for

from .. import forms
from ..auth import api, login_required
from ..client import ApiError
from . import bp

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "profile.schema.json")
                    .read_text("utf-8"))
SECTIONS = ("general", "education", "study_history", "work_history")


def _photo_link(file_id: str | None) -> str | None:
    if not file_id:
        return None
    try:
        return api().post("files", f"attachments/{file_id}/links")["url"]
    except ApiError:
        return None


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    client = api()
    current = client.get("identity", "me/profile")
    data = {k: current.get(k) for k in SECTIONS}
    errors, message = {}, None
    if request.method == "POST":
        data = forms.parse(SCHEMA, request.form)
        body = {k: data.get(k, [] if k != "general" else {}) for k in SECTIONS}
        try:
            client.put("identity", "me/profile", body)
            if request.form.get("action") == "preview":
                return redirect(url_for("person.profile_preview"))
            flash("已保存", "success")
            return redirect(url_for("person.profile"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    root = forms.build(SCHEMA, data, errors)
    return render_template("person/profile.html", root=root, current=current, errors=errors,
                           message=message, unplaced=forms.unplaced_errors(root, errors),
                           photo=_photo_link(current.get("photo_file_id")))


@bp.route("/profile/preview", methods=["GET", "POST"])
@login_required
def profile_preview():
    client = api()
    errors, message = {}, None
    if request.method == "POST":
        try:
            client.post("identity", "me/profile/submit")
            flash("个人信息已提交", "success")
            return redirect(url_for("person.home"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    preview = client.get("identity", "me/profile/preview")
    root = forms.build(SCHEMA, {k: preview.get(k) for k in SECTIONS})
    return render_template("person/profile_preview.html", root=root, preview=preview,
                           errors=errors or preview.get("missing") or {}, message=message,
                           photo=_photo_link(preview.get("photo_file_id")))
