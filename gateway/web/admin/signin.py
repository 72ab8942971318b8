"""The staff sign-in of the admin console: password, then the authenticator's code (TOTP,
issue 17); a first sign-in shows the QR code to enrol. The unit/review pages have their own
staff sign-in page; the two are meant to become one."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from . import admin_required, bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    values, errors, message, enrolment = {}, {}, None, None
    if request.method == "POST":
        values = {"username": request.form.get("username", "").strip()}
        body = {"username": values["username"], "password": request.form.get("password", ""),
                "totp_code": request.form.get("totp_code", "").strip() or None}
        try:
            me = auth.sign_in(api().post("identity", "tokens", body))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, dict(error.errors)
            if error.code == "totp-required" and not body["totp_code"]:
                errors.setdefault("totp_code", "请输入身份验证器上的 6 位动态验证码")
            if error.code == "totp-enrolment-required":
                enrolment = error.body.get("enrolment")
        else:
            if "admin" not in (me.get("roles") or []):
                auth.sign_out()
                message = "该账号不是管理员，不能进入管理控制台"
            else:
                return redirect(auth.safe_next(request.args.get("next"),
                                               url_for("admin.processes")))
    return render_template("admin/login.html", values=values, errors=errors, message=message,
                           enrolment=enrolment)


@bp.route("/")
@admin_required
def index():
    return redirect(url_for("admin.processes"))


@bp.route("/logout", methods=["POST"])
def logout():
    auth.sign_out()
    flash("已退出登录", "success")
    return redirect(url_for("admin.login"))
