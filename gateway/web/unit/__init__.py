"""单位版: the unit's pages (seeds 002 and 003): 登录 (password; phone + SMS, registering a
unit by phone), 单位首页, 员工管理, 单位认证, 人才引进专区 (业务权限开通, 需求申报), 工作居住证."""
import functools

from flask import Blueprint, abort, redirect, request, url_for

from .. import auth

bp = Blueprint("unit", __name__, url_prefix="/org")


def unit_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not auth.signed_in() or not auth.user():
            return redirect(url_for("unit.login", next=request.full_path.rstrip("?")))
        if auth.user().get("kind") != "unit":
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def unit_id() -> str:
    return auth.user()["org_id"]


from . import signin, home, employees, certification, talent, profile  # noqa: E402,F401
