"""需求申报's own pages: the declarations list and the passed list's export."""
from flask_smorest import Blueprint

from services.common.app import kit as _k
from services.common.auth import current_claims, login_required

from . import schemas, service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pages = Blueprint("workflow-declarations", __name__,
                 description="需求申报：单位的个人申报列表、区委人才办导出通过名单")


@pages.route("/declarations", methods=["GET"])
@pages.arguments(schemas.DeclarationQuerySchema, location="query")
@pages.response(200, schemas.DeclarationPageSchema)
@login_required()
def declarations(query):
    """需求申报列表：单位的全部个人申报及状态（待审核 / 待复审 / 未通过 / 已完成）；区委人才办为本区单位的"""
    return service.declarations(_k().db, current_claims(), query["process_key"],
                                query["status"], query["page"], query["per_page"])


@pages.route("/declarations/export", methods=["GET"])
@pages.arguments(schemas.ExportQuerySchema, location="query")
@pages.response(200, {"format": "binary", "type": "string"}, content_type="text/csv",
              description="CSV；format=xlsx 时为 XLSX")
@pages.alt_response(200, success=True, content_type=XLSX,
                    schema={"format": "binary", "type": "string"})
@login_required()
def export_declarations(query):
    """导出复审通过（已完成）名单，报市人才工作局（区委人才办；CSV 或 XLSX；须填导出事由，
    文件标明内部资料、导出人和时间，导出记入审计日志）"""
    from io import BytesIO

    from flask import send_file

    body, filename, content_type = service.export_passed(
        _k().db, current_claims(), query["process_key"], query["format"], query["reason"])
    # send_file names it as RFC 6266 asks: an ASCII filename and the Chinese one as filename*.
    return send_file(BytesIO(body), mimetype=content_type, as_attachment=True,
                     download_name=filename)
