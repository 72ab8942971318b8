"""The admin console's way in is the one staff sign-in page (review/signin.py: password and
the authenticator's code, enrolment at the first sign-in), shown at /admin/login too, so a
console link keeps its address and `next`; admins land in 流程模型, other staff in 待办."""
from __future__ import annotations

from flask import flash, redirect, url_for

from .. import auth
from ..review.signin import staff_login
from . import admin_required, bp

bp.add_url_rule("/login", "login", staff_login, methods=["GET", "POST"])


@bp.route("/")
@admin_required
def index():
    return redirect(url_for("admin.processes"))


@bp.route("/logout", methods=["POST"])
def logout():
    auth.sign_out()
    flash("已退出登录", "success")
    return redirect(url_for("admin.login"))
