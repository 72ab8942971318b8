"""技能竞赛 (seed 004): 个人身份信息确认 on first entry; 个人基本信息维护 (保存 / 保存并上传照片 →
上传 → 裁切照片 → 保存成功); 报名 (个人竞赛计划列表 → 报名 → 职业（工种） → 保存并上传照片 → 提交审核);
已报名竞赛管理 (查看, the committee's answer)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for

from .. import forms
from ..auth import api, login_required
from ..client import ApiError
from . import bp

HERE = Path(__file__).parent.parent / "schemas"
COMPETITOR = json.loads((HERE / "competitor.schema.json").read_text("utf-8"))
REGISTRATION = json.loads((HERE / "registration.schema.json").read_text("utf-8"))


def _competitor() -> dict:
    return api().get("workflow", "me/competitor")


def _photo(file_id):
    if not file_id:
        return None
    try:
        return api().post("files", f"attachments/{file_id}/links")["url"]
    except ApiError:
        return None


@bp.route("/competitions/confirm", methods=["GET", "POST"])
@login_required
def competitor_confirm():
    """个人身份信息确认 (once): name + ID number, checked against the real-name verification."""
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "id_number")}
        try:
            api().post("workflow", "me/competitor/confirmation", values)
            flash("个人身份信息确认成功", "success")
            return redirect(url_for("person.competitions"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    return render_template("person/competition_confirm.html", values=values, errors=errors,
                           message=message)


@bp.route("/competitions")
@login_required
def competitions():
    """报名: 个人竞赛计划列表."""
    if not _competitor()["confirmed"]:
        return redirect(url_for("person.competitor_confirm"))
    page = request.args.get("page", 1, type=int)
    return render_template("person/competitions.html", section="plans",
                           plans=api().get("workflow", "competitions", page=page, per_page=10))


@bp.route("/competitions/competitor", methods=["GET", "POST"])
@login_required
def competitor():
    """个人基本信息维护."""
    state = _competitor()
    if not state["confirmed"]:
        return redirect(url_for("person.competitor_confirm"))
    profile = state.get("profile") or {}
    data = {**(state.get("prefill") or {}), **profile}
    errors, message = {}, None
    if request.method == "POST":
        data = forms.parse(COMPETITOR, request.form)
        try:
            api().put("workflow", "me/competitor", data)
            if request.form.get("action") == "photo":
                return redirect(url_for("person.photo", purpose="competitor"))
            flash("保存成功", "success")
            return redirect(url_for("person.competitor"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    root = forms.build(COMPETITOR, data, errors)
    return render_template("person/competitor.html", section="competitor", root=root,
                           profile=profile, errors=errors, message=message,
                           photo=_photo(profile.get("photo_file_id")))


def _registration_schema(competition: dict) -> dict:
    schema = copy.deepcopy(REGISTRATION)
    schema["properties"]["occupation_code"]["oneOf"] = [
        {"const": o["code"], "title": f"{o['name']}（{o['code']}）"}
        for o in competition["occupations"]]
    levels = []
    for occupation in competition["occupations"]:
        levels += [lv for lv in occupation.get("levels", []) if lv not in levels]
    schema["properties"]["level"]["enum"] = levels
    return schema


@bp.route("/competitions/<competition_id>/register", methods=["GET", "POST"])
@login_required
def register_competition(competition_id):
    """报名: the registration form; 保存 or 保存并上传照片."""
    client = api()
    competition = client.get("workflow", f"competitions/{competition_id}")
    schema = _registration_schema(competition)
    data, errors, message = {}, {}, None
    if competition.get("registration_id"):
        current = client.get("workflow",
                             f"me/competition-registrations/{competition['registration_id']}")
        data = {k: v for k, v in (current.get("details") or {}).items()
                if k in schema["properties"]}
    if request.method == "POST":
        data = forms.parse(schema, request.form)
        try:
            saved = client.put("workflow", f"competitions/{competition_id}/registration", data)
            if request.form.get("action") == "photo":
                return redirect(url_for("person.photo", purpose=f"registration-{saved['id']}"))
            flash("保存成功", "success")
            return redirect(url_for("person.registration", registration_id=saved["id"]))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    root = forms.build(schema, data, errors)
    return render_template("person/competition_register.html", section="plans",
                           competition=competition, root=root, errors=errors, message=message)


@bp.route("/competitions/registrations")
@login_required
def registrations():
    """已报名竞赛管理."""
    page = request.args.get("page", 1, type=int)
    return render_template("person/competition_registrations.html", section="registrations",
                           page=api().get("workflow", "me/competition-registrations",
                                          page=page, per_page=10))


@bp.route("/competitions/registrations/<registration_id>", methods=["GET", "POST"])
@login_required
def registration(registration_id):
    """查看 a registration (and 提交审核 while it is not submitted)."""
    client = api()
    message = None
    if request.method == "POST":
        try:
            client.post("workflow", f"me/competition-registrations/{registration_id}/submit")
            flash("已提交审核，请等待竞赛组委会审核", "success")
            return redirect(url_for("person.registration", registration_id=registration_id))
        except ApiError as error:
            if error.status >= 500:
                raise
            message = error.detail
    current = client.get("workflow", f"me/competition-registrations/{registration_id}")
    details = current.get("details") or {}
    return render_template("person/competition_registration.html", section="registrations",
                           reg=current, details=details, message=message,
                           photo=_photo(details.get("photo_file_id")))
