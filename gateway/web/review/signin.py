"""工作人员登录: password and the authenticator's 动态验证码 (or a recovery code); the first
sign-in shows the QR code identity returns to enrol the authenticator."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from . import bp

SECOND_FACTOR = ("totp-required", "totp-enrolment-required")


def home_of(user: dict) -> str:
    """Where a signed-in account starts: citizens 办事大厅, units 单位首页, staff 待办."""
    if user.get("kind") == "unit":
        return url_for("unit.home")
    if user.get("kind") == "staff":
        return url_for("review.inbox")
    return url_for("person.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    values = {"username": request.args.get("username", "")}
    errors, message, enrolment, recovery = {}, None, None, request.args.get("recovery") == "1"
    if request.method == "POST":
        values = {"username": request.form.get("username", "").strip()}
        recovery = request.form.get("use_recovery") == "1"
        code = request.form.get("code", "").strip()
        body = {"username": values["username"], "password": request.form.get("password", "")}
        if code:
            body["recovery_code" if recovery else "totp_code"] = code
        try:
            pair = api().post("identity", "tokens", body)
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, dict(error.errors)
            if error.code == "totp-enrolment-required":  # a step, not a fault
                enrolment = error.body.get("enrolment")
                message, errors = None, {}
            elif error.code == "totp-required" and not code:
                errors.setdefault("code", "请输入身份验证器显示的 6 位动态验证码")
            for key in ("totp_code", "recovery_code"):
                if key in errors:
                    errors["code"] = errors.pop(key)
        else:
            me = auth.sign_in(pair)
            if pair.get("recovery_codes"):
                flash("身份验证器已绑定。请妥善保存恢复码（每个只能用一次）：" +
                      "、".join(pair["recovery_codes"]), "success")
            return redirect(auth.safe_next(request.args.get("next"), home_of(me)))
    return render_template("review/login.html", values=values, errors=errors, message=message,
                           enrolment=enrolment, recovery=recovery)
