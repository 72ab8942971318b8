"""竞赛组委会: competition plans (新建, 修改 before publishing, 发布, 结束报名) and each
competition's registrations; the registrations are reviewed in 待办 like any task."""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for

from .. import forms
from ..auth import api
from ..client import ApiError
from . import bp, reviewer_required

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "competition.schema.json")
                    .read_text("utf-8"))


def _to_api(data: dict) -> dict:
    """等级 are typed as one line; the API keeps them as a list."""
    for row in data.get("occupations", []):
        row["levels"] = [p for p in re.split(r"[、,，;；\s]+", row.get("levels", "")) if p]
    return data


def _to_form(plan: dict) -> dict:
    data = {k: plan.get(k) for k in SCHEMA["properties"] if plan.get(k) is not None}
    data["occupations"] = [{**o, "levels": "、".join(o.get("levels") or [])}
                           for o in plan.get("occupations") or []]
    return data


@bp.route("/competitions")
@reviewer_required
def competitions():
    page = api().get("workflow", "competitions", page=request.args.get("page", 1, type=int),
                     per_page=10)
    return render_template("review/competitions.html", page=page)


@bp.route("/competitions/new", methods=["GET", "POST"])
@bp.route("/competitions/<competition_id>/edit", methods=["GET", "POST"])
@reviewer_required
def competition_form(competition_id=None):
    data, errors, message = {}, {}, None
    if competition_id:
        data = _to_form(api().get("workflow", f"competitions/{competition_id}"))
    if request.method == "POST":
        data = forms.parse(SCHEMA, request.form)
        try:
            body = _to_api(json.loads(json.dumps(data)))
            if competition_id:
                api().put("workflow", f"competitions/{competition_id}", body)
            else:
                competition_id = api().post("workflow", "competitions", body)["id"]
            flash("竞赛计划已保存（未发布）", "success")
            return redirect(url_for("review.competitions"))
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
    root = forms.build(SCHEMA, data, errors)
    return render_template("review/competition_form.html", root=root, errors=errors,
                           message=message, unplaced=forms.unplaced_errors(root, errors),
                           editing=competition_id)


@bp.route("/competitions/<competition_id>/<any(publish, close):action>", methods=["POST"])
@reviewer_required
def competition_state(competition_id, action):
    try:
        plan = api().post("workflow", f"competitions/{competition_id}/{action}")
        flash(f"“{plan['name']}”{'已发布' if action == 'publish' else '已结束报名'}", "success")
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        flash(error.detail, "warning")
    return redirect(url_for("review.competitions"))


@bp.route("/competitions/<competition_id>/registrations")
@reviewer_required
def registrations(competition_id):
    status = request.args.get("status") or None
    plan = api().get("workflow", f"competitions/{competition_id}")
    page = api().get("workflow", f"competitions/{competition_id}/registrations", status=status,
                     page=request.args.get("page", 1, type=int), per_page=10)
    return render_template("review/registrations.html", plan=plan, page=page, status=status)
