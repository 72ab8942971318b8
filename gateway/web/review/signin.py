"""工作人员登录, the one staff sign-in page (审核人员, 评审专家, 竞赛组委会 and 管理员 alike):
password and the authenticator's 动态验证码 — or, when the phone is lost, one of the recovery
codes in the same box; the first sign-in shows the QR code identity returns to enrol the
authenticator. Each is then sent to their console: admins to 管理控制台, everyone else to 待办.
/admin/login shows this same page (admin/signin.py)."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from . import bp

TOTP = re.compile(r"^\d{6}$")  # otherwise the code typed is a recovery code (abcde-fghjk)


def home_of(user: dict) -> str:
    """Where a signed-in account starts: citizens 办事大厅, units 单位首页, staff their console."""
    if user.get("kind") == "unit":
        return url_for("unit.home")
    if user.get("kind") == "staff":
        if "admin" in (user.get("roles") or []):
            return url_for("admin.processes")
        return url_for("review.inbox")
    return url_for("person.home")


def _destination(me: dict) -> str:
    """`next` when it is on this site and the account may go there; else its console."""
    target = auth.safe_next(request.args.get("next"), "")
    if target.startswith("/admin") and "admin" not in (me.get("roles") or []):
        flash("该账号不是管理员，不能进入管理控制台；已为您打开审核工作台。", "info")
        target = ""
    return target or home_of(me)


def staff_login():
    """The view behind both /review/login and /admin/login (the form posts back to where it
    was opened, so `next` and the address stay as the person saw them)."""
    values = {"username": request.args.get("username", "")}
    errors, message, enrolment = {}, None, None
    if request.method == "POST":
        values = {"username": request.form.get("username", "").strip()}
        # `code` is the field's former name (scripts and the page benchmark still send it).
        code = (request.form.get("totp_code") or request.form.get("code") or "").strip()
        body = {"username": values["username"], "password": request.form.get("password", "")}
        if code:
            body["totp_code" if TOTP.match(code) else "recovery_code"] = code
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
                errors.setdefault("totp_code", "请输入身份验证器显示的 6 位动态验证码")
            if "recovery_code" in errors:  # one box for both: the error goes beside it
                errors["totp_code"] = errors.pop("recovery_code")
        else:
            me = auth.sign_in(pair)
            if pair.get("recovery_codes"):
                flash("身份验证器已绑定。请妥善保存恢复码（每个只能用一次）：" +
                      "、".join(pair["recovery_codes"]), "success")
            return redirect(_destination(me))
    return render_template("review/login.html", values=values, errors=errors, message=message,
                           enrolment=enrolment)


bp.add_url_rule("/login", "login", staff_login, methods=["GET", "POST"])
