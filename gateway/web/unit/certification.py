"""单位认证 (seed 003 图 3–4): upload the business licence, check (and correct) the recognised
name and credit code, add the e-mail, 提交; 已通过 or the reason, and 重新认证."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from . import bp, unit_id, unit_required


@bp.route("/certification", methods=["GET", "POST"])
@unit_required
def certification():
    current = api().get("orgs", f"units/{unit_id()}/certification")
    values, errors, message = {}, {}, None
    reading = session.get("licence_reading")
    redo = request.args.get("redo") == "1"
    if request.method == "POST" and request.form.get("action") == "upload":
        upload = request.files.get("licence")
        if not upload or not upload.filename:
            errors = {"licence": "请选择营业执照图片（JPG、PNG）"}
        else:
            try:
                reading = api().upload("orgs", f"units/{unit_id()}/certification/licence", {},
                                       "licence", upload.filename, upload.stream,
                                       upload.mimetype)
                session["licence_reading"] = {k: reading.get(k) for k in (
                    "recognised", "name", "credit_code", "credit_code_problem", "message")}
                reading = session["licence_reading"]
            except ApiError as error:
                if error.status >= 500 or error.status == 401:
                    raise
                message, errors = error.detail, error.errors
        redo = True
    elif request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "credit_code", "email")}
        try:
            result = api().post("orgs", f"units/{unit_id()}/certification", values)
            session.pop("licence_reading", None)
            if result.get("status") == "approved":
                auth.refresh_user(name=result.get("name") or auth.user()["name"])
            flash("认证已通过" if result.get("status") == "approved"
                  else "认证信息已提交，请等待工作人员审核", "success")
            return redirect(url_for("unit.certification"))
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
        redo = True
    if reading and not values:
        values = {"name": reading.get("name") or "", "credit_code": reading.get("credit_code") or ""}
        if reading.get("credit_code_problem"):
            errors.setdefault("credit_code", reading["credit_code_problem"])
    return render_template("unit/certification.html", current=current, reading=reading,
                           values=values, errors=errors, message=message,
                           show_form=redo or current.get("status") in (None, "rejected"))
