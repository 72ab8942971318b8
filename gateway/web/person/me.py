"""个人中心: 实名认证 state, my records of finished businesses, my sign-in history, change
password, linked third-party accounts, my appeals, 退出登录 (in the header)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api, login_required
from ..client import ApiError
from . import bp


@bp.route("/me")
@login_required
def me():
    client = api()
    page = request.args.get("page", 1, type=int)
    return render_template(
        "person/me.html", account=client.get("identity", "me"),
        records=client.get("identity", "me/records"),
        history=client.get("identity", "me/audit", page=page, per_page=10),
        linked=client.get("identity", "me/external-identities"),
        providers=client.get("identity", "oidc/providers"),
        appeals=client.get("identity", "me/appeals"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    errors, message = {}, None
    if request.method == "POST":
        try:
            api().post("identity", "me/password", {
                k: request.form.get(k, "") for k in
                ("old_password", "new_password", "new_password_confirm")})
            # identity ends every session of the account: sign in again with the new one.
            auth.session.clear()
            flash("密码已修改，请使用新密码重新登录", "success")
            return redirect(url_for("person.login"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    return render_template("person/password.html", errors=errors, message=message)
