"""待办 (counts mine / my groups / my team, filters, sort, saved filters, pagination,
认领 / 取消认领; the counts refresh by htmx polling) and 已办."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth
from ..auth import api
from ..client import ApiError
from . import bp, reviewer_required

SCOPES = [("all", "全部待办"), ("mine", "我的待办"), ("group", "本组待认领"), ("team", "本组全部")]
SORTS = [("-created_at", "最新到达在前"), ("created_at", "最早到达在前"), ("due_at", "时限最近在前")]
# The review stages of the deployed processes (task keys of bpmn/*.bpmn), for the filter.
STAGES = [("unit_review", "用人单位审核"), ("supervisor_review", "归口单位审核"),
          ("bureau_review", "市局审核"), ("expert_review", "专家评审"),
          ("initial_review", "区委人才办初审"), ("re_review", "区委人才办复审"),
          ("district_review", "业务权限审核"), ("committee_review", "组委会审核")]
FILTER_KEYS = ("scope", "process_key", "stage", "applicant", "unit_id", "created_from",
               "created_to", "overdue", "sort")


def _criteria(args) -> dict:
    criteria = {k: args.get(k, "").strip() for k in FILTER_KEYS if args.get(k, "").strip()}
    if criteria.get("overdue") not in (None, "true"):
        criteria.pop("overdue")
    return criteria


def _processes() -> list[tuple[str, str]]:
    return [(p["process_key"], p["name"]) for p in api().get("workflow", "processes")]


def _unit_filter(criteria: dict, errors: dict) -> str:
    """单位 (staff only: orgs lists units to staff): the name typed becomes the API's unit_id,
    and a saved filter's unit_id shows its name again. Costs a call only when used."""
    typed = request.args.get("unit_name", "").strip()
    if typed:
        criteria.pop("unit_id", None)
        found = api().get("orgs", "orgs", kind="unit", name=typed, per_page=6)["items"]
        exact = [u for u in found if u["name"] == typed]
        if len(exact) == 1 or len(found) == 1:
            unit = (exact or found)[0]
            criteria["unit_id"] = unit["id"]
            return unit["name"]
        errors["unit_name"] = (f"没有名称包含“{typed}”的单位" if not found else
                               f"有多个单位名称包含“{typed}”，请输入更完整的名称")
        return typed
    if criteria.get("unit_id"):
        try:
            return api().get("orgs", f"orgs/{criteria['unit_id']}")["name"]
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            criteria.pop("unit_id")
    return ""


@bp.route("/")
@reviewer_required
def inbox():
    criteria = _criteria(request.args)
    page_no = request.args.get("page", 1, type=int)
    errors, message = {}, None
    unit_name = _unit_filter(criteria, errors) if auth.user().get("kind") == "staff" else ""
    page = {"items": [], "total": 0, "page": 1, "per_page": 10}
    if errors:
        message = "请修改筛选条件"
    else:
        try:
            page = api().get("workflow", "tasks", page=page_no, per_page=10, **criteria)
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
    return render_template(
        "review/inbox.html", page=page, criteria=criteria, counts=api().get("workflow", "tasks/counts"),
        scopes=SCOPES, sorts=SORTS, stages=STAGES, processes=_processes(),
        saved=api().get("workflow", "tasks/filters"), errors=errors, message=message,
        unit_name=unit_name)


@bp.route("/counts")
@reviewer_required
def counts():
    """The counts block alone: htmx polls it so the numbers move without a reload."""
    return render_template("review/_counts.html", counts=api().get("workflow", "tasks/counts"))


@bp.route("/filters", methods=["POST"])
@reviewer_required
def save_filter():
    criteria = _criteria(request.form)
    criteria.pop("scope", None) if criteria.get("scope") == "all" else None
    if "overdue" in criteria:
        criteria["overdue"] = True
    try:
        api().post("workflow", "tasks/filters",
                   {"name": request.form.get("name", "").strip(), "criteria": criteria})
        flash("筛选条件已保存", "success")
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(next(iter(error.errors.values()), error.detail), "warning")
    return redirect(url_for("review.inbox", **_criteria(request.form)))


@bp.route("/filters/<filter_id>/delete", methods=["POST"])
@reviewer_required
def delete_filter(filter_id):
    api().delete("workflow", f"tasks/filters/{filter_id}")
    flash("筛选条件已删除", "info")
    return redirect(url_for("review.inbox"))


@bp.route("/tasks/<task_id>/<any(claim, unclaim):action>", methods=["POST"])
@reviewer_required
def claim(task_id, action):
    try:
        task = api().post("workflow", f"tasks/{task_id}/{action}")
        flash(f"已认领：{task['instance_title']}" if action == "claim"
              else f"已取消认领，任务退回任务组：{task['instance_title']}", "success")
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        flash(plain(error), "warning")
    back = request.form.get("back")
    if back == "task":
        return redirect(url_for("review.task", task_id=task_id))
    return redirect(url_for("review.inbox", **_criteria(request.form)))


def plain(error: ApiError) -> str:
    """An API refusal in the words a reviewer expects: someone else was quicker (409), or the
    four-eyes rule (403) — both are situations, not faults."""
    if error.status == 409:
        return f"已被他人处理：{error.detail}"
    if error.status == 403 and "四眼原则" in error.detail:
        why = error.detail.replace("（四眼原则）", "").rstrip("。")
        return f"按照四眼原则，{why}。请由同组其他同事办理。"
    return error.detail


@bp.route("/done")
@reviewer_required
def done():
    page = api().get("workflow", "tasks", status="completed", page=request.args.get(
        "page", 1, type=int), per_page=10, sort="-created_at")
    return render_template("review/done.html", page=page)
