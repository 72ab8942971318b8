"""单位登录 (seed 002 图 5 口令登录; seed 003 图 1 手机号 + 验证码, which also registers a new
unit): the certificate and e-licence ways are named with a clear "not enabled" here."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from ..person.signin import new_captcha, sms_sign_in
from . import bp


def _signed_in(pair: dict, registered: bool = False):
    me = auth.sign_in(pair)
    if me["kind"] != "unit":
        auth.sign_out()
        flash("这是单位入口，请使用单位账号登录；个人请从个人版登录。", "warning")
        return redirect(url_for("unit.login"))
    if registered:
        flash("单位账号已注册。请先完成单位认证（上传营业执照）。", "success")
        return redirect(url_for("unit.certification"))
    return redirect(auth.safe_next(request.args.get("next"), url_for("unit.home")))


@bp.route("/login", methods=["GET", "POST"])
def login():
    values, errors, message, captcha = {}, {}, None, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("username", "captcha_code")}
        body = {"username": values["username"], "password": request.form.get("password", ""),
                "captcha_id": request.form.get("captcha_id") or None,
                "captcha_code": values["captcha_code"] or None}
        try:
            return _signed_in(api().post("identity", "tokens", body))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
            if error.code == "captcha-required" or body["captcha_id"]:
                captcha = new_captcha()
    return render_template("unit/login.html", values=values, errors=errors, message=message,
                           captcha=captcha, tab="password")


@bp.route("/login/phone", methods=["GET", "POST"])
def login_phone():
    """手机号 + 图形验证码 + 短信验证码: signs a unit in, or registers it when the phone is new
    (the step itself is the person's SMS sign-in, with the unit's purpose and exchange)."""
    def exchange(values):
        result = api().post("identity", "units/phone-sessions", {
            "phone": values["phone"], "sms_code": values["sms_code"]})
        return _signed_in(result["tokens"], registered=result["registered"])

    step = sms_sign_in("unit_register", exchange)
    if not isinstance(step, tuple):
        return step
    values, errors, message, sent = step
    return render_template("unit/login_phone.html", values=values, errors=errors,
                           message=message, sent=sent, captcha=new_captcha(), tab="phone")


@bp.route("/login/other")
def login_other():
    """证书登录, 电子营业执照, 事业单位电子证照: not enabled in this deployment."""
    return render_template("unit/login_other.html", tab="other")
