"""员工管理 (seed 002 图 14–20): 待审核 affiliation requests (decided in the unit's workflow
task, through the task's own form), 在职员工 with filters and pagination, 员工详情 with its tabs,
职位与劳动合同, 解除关联 with its conditions and the refusal reason."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..auth import api
from ..client import ApiError
from . import bp, unit_id, unit_required

CONTRACT_TERMS = [("fixed", "固定期限"), ("open", "无固定期限"), ("task", "以完成一定工作任务为期限")]


@bp.route("/employees")
@unit_required
def employees():
    tab = request.args.get("tab", "pending")
    criteria = {k: request.args.get(k, "").strip() for k in ("name", "date_from", "date_to")
                if request.args.get(k, "").strip()}
    page_no = request.args.get("page", 1, type=int)
    errors = {}
    empty = {"items": [], "total": 0, "page": 1, "per_page": 10}
    pending, staff = empty, empty
    try:
        if tab == "pending":
            pending = api().get("workflow", "tasks", process_key="affiliation", page=page_no,
                                per_page=10, applicant=criteria.get("name"),
                                created_from=criteria.get("date_from"),
                                created_to=criteria.get("date_to"))
        else:
            staff = api().get("orgs", f"units/{unit_id()}/employees", page=page_no, per_page=10,
                              **criteria)
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        errors = error.errors or {"name": error.detail}
    home = api().get("orgs", f"units/{unit_id()}/home")
    return render_template("unit/employees.html", tab=tab, pending=pending, staff=staff,
                           criteria=criteria, errors=errors, home=home)


@bp.route("/employees/<affiliation_id>", methods=["GET", "POST"])
@unit_required
def employee(affiliation_id):
    path = f"units/{unit_id()}/employees/{affiliation_id}"
    errors, message = {}, None
    if request.method == "POST":
        body = {k: request.form.get(k, "").strip() or None
                for k in ("position", "contract_term", "contract_start", "contract_end")}
        try:
            api().put("orgs", f"{path}/employment", body)
            flash("职位与劳动合同已更新", "success")
            return redirect(url_for("unit.employee", affiliation_id=affiliation_id, tab="job"))
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
    detail = api().get("orgs", path)
    return render_template("unit/employee.html", e=detail, tab=request.args.get("tab", "basic"),
                           terms=CONTRACT_TERMS, errors=errors, message=message,
                           check=api().get("orgs", f"{path}/unlink-check"))


@bp.route("/employees/<affiliation_id>/unlink", methods=["POST"])
@unit_required
def unlink(affiliation_id):
    try:
        api().post("orgs", f"units/{unit_id()}/employees/{affiliation_id}/unlink",
                   {"reason": request.form.get("reason", "").strip()})
        flash("已解除该员工与本单位的关联", "success")
        return redirect(url_for("unit.employees", tab="active"))
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        flash(next(iter(error.errors.values()), error.detail) if error.errors else error.detail,
              "warning")
    return redirect(url_for("unit.employee", affiliation_id=affiliation_id, tab="unlink"))
