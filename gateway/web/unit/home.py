"""单位首页 (seed 002 图 10–25): 单位信息, 关联代码 (show, copy, regenerate), 员工 counts,
人才服务列表, 在办业务, 通知公告 (查看更多) and 系统提示 (the unit's own business prompts)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from ..auth import api
from ..client import ApiError
from . import bp, unit_id, unit_required

# Where a unit's service starts in the browser.
ENTRIES = {"business_permission": "unit.talent", "talent_demand": "unit.talent",
           "work_permit": "unit.work_permits"}


@bp.route("/")
@unit_required
def home():
    client = api()
    return render_template(
        "unit/home.html", unit=client.get("orgs", f"units/{unit_id()}/home"),
        catalogue=[e for e in client.get("workflow", "catalogue")
                   if not (e["reason"] or "").startswith("仅个人账号")],
        entries=ENTRIES, in_progress=client.get("workflow", "in-progress"),
        notices=client.get("workflow", "notices", per_page=5),
        prompts=client.get("workflow", "prompts", per_page=5))


@bp.route("/association-code", methods=["POST"])
@unit_required
def regenerate_code():
    try:
        code = api().post("orgs", f"units/{unit_id()}/association-code")
        flash(f"关联代码已重新生成：{code.get('association_code')}。旧代码即时失效。", "success")
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        flash(error.detail, "warning")
    return redirect(url_for("unit.home"))
