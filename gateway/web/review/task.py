"""办理: the application read-only (the same form renderer as the applicant's), its
attachments opened through short-lived signed links, the timeline and comments, the decision
form rendered from the task's JSON Schema, 认领 / 转交 / 委派; 专家评审 with the panel's state.
"Already handled" (409) and the four-eyes rule (403) are said in plain words."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import auth, forms
from ..auth import api
from ..client import ApiError
from . import bp, reviewer_required
from .inbox import plain


def start_form(process_key: str) -> dict:
    for process in api().get("workflow", "processes"):
        if process["process_key"] == process_key:
            return process["start_form"]
    return {}


def panel_state(instance: dict) -> dict | None:
    """专家组: who has scored (the timeline), who has not yet (the open expert tasks)."""
    scored = [e for e in instance.get("timeline") or [] if e.get("actor_role") == "expert"]
    waiting = [s for s in instance.get("current_stage") or [] if s.get("task_key") == "expert_review"]
    tally = (instance.get("result") or {}).get("expert_panel")
    if not (scored or waiting or tally):
        return None
    return {"scored": scored, "waiting": waiting, "tally": tally,
            "approve": sum(1 for e in scored if e.get("action") == "approve"),
            "reject": sum(1 for e in scored if e.get("action") == "reject")}


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@reviewer_required
def task(task_id):
    client = api()
    detail = client.get("workflow", f"tasks/{task_id}")  # 404 for a task not of my groups
    instance = detail["instance"]
    data, errors, message, handled = {}, {}, None, None
    if request.method == "POST" and detail["status"] == "ready":
        data = forms.parse(detail["form"], request.form)
        try:
            client.post("workflow", f"tasks/{task_id}/complete", {"data": data})
            flash(f"已办理：{instance['title']}（{instance['applicant_name']}）", "success")
            return redirect(url_for("review.inbox"))
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            if error.status in (403, 409):
                handled = plain(error)
            else:
                message, errors = error.detail, error.errors
        detail = client.get("workflow", f"tasks/{task_id}")
        instance = detail["instance"]
    me = auth.user()["id"]
    # 委派: the colleague helping holds the task until they 交回; the owner waits meanwhile.
    delegated_to_me = bool(detail.get("delegated_by")) and detail["assignee"] == me
    held_by_other = detail["assignee"] not in (None, me)
    if detail["status"] != "ready" and handled is None:
        handled = "已被他人处理：该任务已办理完毕，无需再办理。" if request.method == "POST" else None
    application = forms.build(start_form(instance["process_key"]), instance.get("application"))
    try:
        attachments = client.get("files", f"instances/{instance['id']}/attachments")
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        attachments = []
    colleagues = []
    if detail["status"] == "ready" and detail["assignee"] in (None, me) and not delegated_to_me:
        try:
            colleagues = client.get("workflow", f"tasks/{task_id}/colleagues")
        except ApiError:
            colleagues = []
    decision = forms.build(detail["form"], data, errors)
    return render_template(
        "review/task.html", task=detail, instance=instance, application=application,
        attachments=attachments, decision=decision, errors=errors, message=message,
        unplaced=forms.unplaced_errors(decision, errors), handled=handled,
        held_by_other=held_by_other, delegated_to_me=delegated_to_me, colleagues=colleagues,
        panel=panel_state(instance),
        files_by_id={a["id"]: {"name": a.get("display_name") or a.get("original_name")}
                     for a in attachments})


@bp.route("/tasks/<task_id>/files/<attachment_id>")
@reviewer_required
def attachment(task_id, attachment_id):
    """查看附件: a short-lived signed link (files checks this reviewer may see it), made only
    when the file is opened. `inline=1`: shown inside 办理 (a PDF in an <iframe>, an image in
    an <img>), so the link asks files to allow framing by this site."""
    link = api().post("files", f"attachments/{attachment_id}/links")
    if request.args.get("inline") == "1":
        response = redirect(link["url"] + "?inline=1")
        # This redirect ends in a frame of 办理 (our own page): framing by ourselves only.
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response
    return redirect(link["url"])


@bp.route("/tasks/<task_id>/comments", methods=["POST"])
@reviewer_required
def comment(task_id):
    try:
        api().post("workflow", f"tasks/{task_id}/comments",
                   {"body": request.form.get("body", "").strip()})
        flash("备注已添加", "success")
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        flash(next(iter(error.errors.values()), error.detail), "warning")
    return redirect(url_for("review.task", task_id=task_id) + "#comments")


@bp.route("/tasks/<task_id>/hand-over", methods=["POST"])
@reviewer_required
def hand_over(task_id):
    """转交 (the colleague owns it from now on) or 委派 (they help and hand it back); 交回."""
    how = request.form.get("how")
    comment = request.form.get("comment", "").strip() or None
    colleague = request.form.get("colleague", "")
    try:
        if how == "resolve":  # 交回: the colleague who was asked to help hands it back
            api().post("workflow", f"tasks/{task_id}/resolve", {"comment": comment})
            flash("已交回委派人", "success")
            return redirect(url_for("review.inbox"))
        if how == "delegate":
            api().post("workflow", f"tasks/{task_id}/delegate",
                       {"delegate_id": colleague, "comment": comment})
            flash("已委派同事协办，办完后交回您", "success")
        else:
            api().post("workflow", f"tasks/{task_id}/assign",
                       {"assignee_id": colleague, "comment": comment})
            flash("已转交同事办理", "success")
            return redirect(url_for("review.inbox"))
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        # The API's refusals here are already plain words (请先认领…, 正由…协办, 不是本部门…).
        flash(next(iter(error.errors.values()), error.detail) if error.errors else error.detail,
              "warning")
    return redirect(url_for("review.task", task_id=task_id))
