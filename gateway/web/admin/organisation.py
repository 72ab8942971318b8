"""组织机构与平台: the org tree (create, edit), staff accounts (create with roles, reset the
authenticator), restrictions (限制办理), notices (通知公告), real-name appeals (人工申诉) and the
audit log of every service, searchable by person, action and date."""
from __future__ import annotations

from datetime import datetime, time, timezone

from flask import flash, redirect, render_template, request, url_for

from ..auth import api
from ..client import ApiError
from . import admin_required, bp

ORG_KINDS = {"bureau": "市局", "supervisor": "归口单位", "district": "区委人才办",
             "unit": "用人单位", "committee": "竞赛组委会", "expert_pool": "专家库"}
ROLES = {"unit": "单位审核员", "supervisor": "归口单位审核员", "bureau": "市局审核员",
         "expert": "专家", "district": "区委人才办审核员", "committee": "竞赛组委会",
         "admin": "管理员"}
SERVICES = {"identity": "账号", "orgs": "机构", "files": "附件", "workflow": "业务办理"}
APPEAL_STATES = {"pending": "待处理", "approved": "已通过", "rejected": "未通过"}


def _all_orgs() -> list[dict]:
    orgs, page = [], 1
    while True:
        result = api().get("orgs", "orgs", page=page, per_page=100)
        orgs += result["items"]
        if page * result["per_page"] >= result["total"]:
            return orgs
        page += 1


def _tree(orgs: list[dict]) -> list[tuple[int, dict]]:
    """(depth, org) in tree order: each org under its parent."""
    children: dict[str | None, list[dict]] = {}
    known = {o["id"] for o in orgs}
    for org in sorted(orgs, key=lambda o: (list(ORG_KINDS).index(o["kind"])
                                           if o["kind"] in ORG_KINDS else 9, o["name"])):
        parent = org.get("parent_id") if org.get("parent_id") in known else None
        children.setdefault(parent, []).append(org)
    ordered: list[tuple[int, dict]] = []

    def walk(parent, depth):
        for org in children.get(parent, []):
            ordered.append((depth, org))
            walk(org["id"], depth + 1)
    walk(None, 0)
    return ordered


@bp.route("/orgs", methods=["GET", "POST"])
@admin_required
def orgs():
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("kind", "name", "parent_id",
                                                                "credit_code")}
        body = {"kind": values["kind"], "name": values["name"],
                "parent_id": values["parent_id"] or None,
                "credit_code": values["credit_code"] or None}
        try:
            created = api().post("orgs", "orgs", body)
            flash(f"已新建机构：{created['name']}", "success")
            return redirect(url_for("admin.orgs"))
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            message, errors = error.detail, error.errors
    all_orgs = _all_orgs()
    return render_template("admin/orgs.html", tree=_tree(all_orgs), orgs=all_orgs,
                           kinds=ORG_KINDS, values=values, errors=errors,
                           message=message), 422 if errors or message else 200


@bp.route("/orgs/<org_id>", methods=["GET", "POST"])
@admin_required
def org(org_id: str):
    current = api().get("orgs", f"orgs/{org_id}")
    values, errors, message = dict(current), {}, None
    if request.method == "POST":
        values = {**current, "name": request.form.get("name", "").strip(),
                  "parent_id": request.form.get("parent_id") or None}
        changes = {k: values[k] for k in ("name", "parent_id") if values[k] != current.get(k)}
        try:
            if changes:
                api().call("PATCH", "orgs", f"orgs/{org_id}", json=changes)
            flash(f"已保存：{values['name']}", "success")
            return redirect(url_for("admin.orgs"))
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            message, errors = error.detail, error.errors
    return render_template("admin/org.html", org=current, values=values, errors=errors,
                           message=message, orgs=_all_orgs(), kinds=ORG_KINDS)


TOTP_STATES = {"enrolled": "已绑定", "pending": "绑定中（未输入首个验证码）",
               "none": "未绑定（首次登录时扫码）"}


@bp.route("/staff", methods=["GET", "POST"])
@admin_required
def staff():
    """工作人员: the list (roles, masked phone, authenticator), create with roles, and per
    account the reset of its authenticator and the link where its holder enrols by QR."""
    query = {k: request.args.get(k, "").strip() for k in ("q", "role")}
    page = request.args.get("page", 1, type=int)
    values, errors, message, created = {}, {}, None, None
    if request.method == "POST" and request.form.get("action") == "reset":
        account_id = request.form.get("account_id", "").strip()
        username = request.form.get("username", "")
        try:
            api().post("identity", f"staff-accounts/{account_id}/totp-reset")
            flash(f"已重置 {username} 的身份验证器：其登录全部退出，下次登录时重新扫码绑定",
                  "success")
            return redirect(url_for("admin.staff", **{k: v for k, v in query.items() if v}))
        except ApiError as error:
            if error.status not in (400, 404, 409, 422):
                raise
            message = f"未能重置 {username}：{error.detail}"
    elif request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("username", "display_name",
                                                                "org_id")}
        values["roles"] = request.form.getlist("roles")
        try:
            created = api().post("identity", "staff-accounts", {
                **values, "password": request.form.get("password", "")})
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            message, errors = error.detail, error.errors
    listed = api().get("identity", "staff-accounts", page=page, per_page=20,
                       **{k: v for k, v in query.items() if v})
    all_orgs = _all_orgs()
    return render_template("admin/staff.html", values=values, errors=errors, message=message,
                           created=created, roles=ROLES, orgs=_tree(all_orgs),
                           org_names={o["id"]: o["name"] for o in all_orgs}, kinds=ORG_KINDS,
                           listed=listed, query=query, totp_states=TOTP_STATES,
                           args={k: v for k, v in query.items() if v}), \
        422 if errors or message else 200


@bp.route("/restrictions", methods=["GET", "POST"])
@admin_required
def restrictions():
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("subject_id", "process_key",
                                                                "reason")}
        try:
            api().post("workflow", "admin/restrictions", values)
            flash("已限制办理", "success")
            return redirect(url_for("admin.restrictions"))
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            message, errors = error.detail, error.errors
    return render_template("admin/restrictions.html",
                           rows=api().get("workflow", "admin/restrictions"),
                           processes=api().get("workflow", "admin/definitions"),
                           values=values, errors=errors, message=message), \
        422 if errors else 200


@bp.route("/restrictions/<restriction_id>/lift", methods=["POST"])
@admin_required
def lift(restriction_id: str):
    api().delete("workflow", f"admin/restrictions/{restriction_id}")
    flash("已解除限制", "success")
    return redirect(url_for("admin.restrictions"))


@bp.route("/notices", methods=["GET", "POST"])
@admin_required
def notices():
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("title", "body")}
        try:
            api().post("workflow", "admin/notices", values)
            flash(f"已发布通知公告：{values['title']}", "success")
            return redirect(url_for("admin.notices"))
        except ApiError as error:
            if error.status not in (400, 409, 422):
                raise
            message, errors = error.detail, error.errors
    published = api().get("workflow", "notices")
    return render_template("admin/notices.html", notices=published, values=values,
                           errors=errors, message=message), 422 if errors else 200


APPEAL_PROCESS = "realname_appeal"
APPEAL_DECISIONS = {"approve": "通过（身份证号改绑到申诉人账号）", "reject": "驳回"}


def _appeal_tasks() -> dict[str, dict]:
    """appeal id -> {instance_id, task_id} of its open review. The decision is taken by the
    process (bpmn/realname_appeal.bpmn, business_key = the appeal): identity has no decision
    endpoint and applies what the process decided."""
    running = api().get("workflow", "admin/instances", process_key=APPEAL_PROCESS,
                        status="running", per_page=100)["items"]
    tasks = api().get("workflow", "tasks", process_key=APPEAL_PROCESS, status="ready",
                      per_page=100)["items"]
    task_of = {t["instance_id"]: t["id"] for t in tasks}
    return {i["business_key"]: {"instance_id": i["id"], "task_id": task_of.get(i["id"])}
            for i in running if i.get("business_key")}


@bp.route("/appeals", methods=["GET", "POST"])
@admin_required
def appeals():
    status = request.args.get("status") or None
    page = request.args.get("page", 1, type=int)
    errors, message, values = {}, None, {}
    if request.method == "POST":  # 审核: completes the appeal's review task in workflow
        values = {k: request.form.get(k, "").strip() for k in ("appeal_id", "decision",
                                                                "comment")}
        open_review = _appeal_tasks().get(values["appeal_id"])
        if values["decision"] not in APPEAL_DECISIONS:
            errors["decision"] = "请选择审核结果"
        elif values["decision"] == "reject" and not values["comment"]:
            errors["comment"] = "驳回时请填写理由（以短信告知申诉人）"
        elif not open_review or not open_review["task_id"]:
            message = "该申诉没有待审核的任务（可能已被他人处理），请刷新"
        if not errors and not message:
            try:
                api().post("workflow", f"tasks/{open_review['task_id']}/complete", {"data": {
                    "decision": values["decision"],
                    **({"comment": values["comment"]} if values["comment"] else {})}})
            except ApiError as error:
                if error.status not in (400, 403, 409, 422):
                    raise
                message, errors = error.detail, error.errors
            else:
                flash("已审核申诉：" + ("通过，身份证号将改绑到申诉人账号" if values["decision"] ==
                                     "approve" else "驳回，理由已告知申诉人"), "success")
                return redirect(url_for("admin.appeals", **({"status": status} if status
                                                            else {})))
    result = api().get("identity", "appeals", page=page, per_page=20,
                       **({"status": status} if status else {}))
    reviews = _appeal_tasks() if any(a["status"] == "pending" for a in result["items"]) else {}
    return render_template("admin/appeals.html", result=result, status=status,
                           states=APPEAL_STATES, reviews=reviews, decisions=APPEAL_DECISIONS,
                           values=values, errors=errors, message=message), \
        422 if errors or message else 200


@bp.route("/audit-log")
@admin_required
def audit_log():
    """Every service keeps its own hash-chained log; the page asks the one chosen."""
    query = {k: request.args.get(k, "").strip() for k in ("service", "person", "action",
                                                           "since", "until")}
    service = query["service"] if query["service"] in SERVICES else "identity"
    page = request.args.get("page", 1, type=int)
    params, errors = {"page": page, "per_page": 30}, {}
    if query["person"]:
        params["person"] = query["person"]
    if query["action"]:
        params["action"] = query["action"]
    for name, end in (("since", False), ("until", True)):
        if query[name]:
            try:
                day = datetime.strptime(query[name], "%Y-%m-%d").date()
            except ValueError:
                errors[name] = "请按 年-月-日 填写日期"
                continue
            params[name] = datetime.combine(day, time.max if end else time.min,
                                            tzinfo=timezone.utc).isoformat()
    result = {"items": [], "total": 0, "page": 1, "per_page": 30}
    if not errors:
        try:
            result = api().get(service, "audit-log", **params)
        except ApiError as error:
            if error.status != 422:
                raise
            errors = error.errors or {"person": error.detail}
    return render_template("admin/audit_log.html", result=result, query={**query,
                           "service": service}, errors=errors, services=SERVICES,
                           args={k: v for k, v in {**query, "service": service}.items() if v})
