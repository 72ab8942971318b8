"""关联单位 (seed 000 图 13–14): enter the association code, 查询 shows the unit, 申请关联 (after
confirming it) starts the affiliation business; the unit's answer and reason are listed."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..auth import api, login_required
from ..client import ApiError
from . import bp


@bp.route("/affiliation", methods=["GET", "POST"])
@login_required
def affiliation():
    client = api()
    try:
        current = client.get("orgs", "me/affiliation")
    except ApiError as error:
        if error.status != 404:
            raise
        current = None
    code = request.values.get("association_code", "").strip()
    unit, errors, message = None, {}, None
    if request.method == "POST" and code:
        try:
            unit = client.get("orgs", f"association-codes/{code}")
        except ApiError as error:
            if error.status >= 500:
                raise
            errors = {"association_code": error.errors.get("code") or error.detail}
        if unit and request.form.get("action") == "apply":
            try:
                client.post("workflow", "instances", {"process_key": "affiliation", "data": {
                    "association_code": code,
                    "unit_confirmed": request.form.get("unit_confirmed") == "on"}})
                flash(f"已向“{unit['name']}”发送关联申请，请等待单位审核", "success")
                return redirect(url_for("person.affiliation"))
            except ApiError as error:
                if error.status >= 500:
                    raise
                message, errors = error.detail, error.errors
    elif request.method == "POST":
        errors = {"association_code": "请填写单位关联代码"}
    catalogue = {e["process_key"]: e for e in client.get("workflow", "catalogue")}
    return render_template("person/affiliation.html", current=current, unit=unit, code=code,
                           errors=errors, message=message,
                           gate=catalogue.get("affiliation"),
                           requests=client.get("orgs", "me/affiliation-requests", per_page=20))
