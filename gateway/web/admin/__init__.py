"""管理控制台: process models in bpmn-js (versions, diff, deploy, roll back), instances and
their operations (migration, incidents), the organisation and the platform. Every page acts
through the admin API with the signed-in admin's token; the services decide who may."""
import functools

from flask import Blueprint, current_app, redirect, request, url_for

from .. import auth

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    """Signed in as staff, else to the staff sign-in (the services check the admin role)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = auth.user()
        if not auth.signed_in() or not user or user.get("kind") != "staff":
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


# The console's menu: (endpoint, label), shown when the page exists; and the pages under each.
MENU = [("admin.processes", "流程模型"), ("admin.instances", "申请实例"),
        ("admin.incidents", "办理异常"), ("admin.orgs", "组织机构"), ("admin.staff", "工作人员"),
        ("admin.restrictions", "业务限制"), ("admin.notices", "通知公告"),
        ("admin.appeals", "实名申诉"), ("admin.audit_log", "审计日志")]
SECTIONS = {"admin.processes": ("admin.new_process", "admin.modeler", "admin.versions",
                                "admin.diff"),
            "admin.instances": ("admin.instance",), "admin.orgs": ("admin.org",)}


@bp.context_processor
def _menu():
    return {"admin_menu": [(e, label) for e, label in MENU if e in current_app.view_functions],
            "admin_sections": SECTIONS}


from . import signin, processes, operations, organisation  # noqa: E402,F401
