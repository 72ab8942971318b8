"""区委人才办: 已完成 (复审通过) 名单 with 导出 CSV / XLSX — the API requires the reason,
writes it into the audit log and marks the file 内部资料."""
from __future__ import annotations

from flask import Response, render_template, request

from ..auth import api
from ..client import ApiError
from . import bp, reviewer_required


@bp.route("/export", methods=["GET", "POST"])
@reviewer_required
def export():
    values, errors, message = {"format": "csv"}, {}, None
    if request.method == "POST":
        values = {"format": request.form.get("format", "csv"),
                  "reason": request.form.get("reason", "").strip()}
        try:
            answer = api().download("workflow", "declarations/export", process_key="talent_demand",
                                    **values)
            return Response(answer.get_data(), content_type=answer.content_type, headers={
                "Content-Disposition": answer.headers.get("Content-Disposition", "attachment"),
                "Cache-Control": "no-store"})
        except ApiError as error:
            if error.status >= 500 or error.status == 401:
                raise
            message, errors = error.detail, error.errors
    page = api().get("workflow", "declarations", status="已完成",
                     page=request.args.get("page", 1, type=int), per_page=10)
    return render_template("review/export.html", page=page, values=values, errors=errors,
                           message=message)
