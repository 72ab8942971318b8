from flask import send_file
from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required

from . import schemas, service

blp = Blueprint("files", __name__, description="附件上传、查看与删除")


@blp.route("/attachments", methods=["POST"])
@blp.arguments(schemas.UploadFormSchema, location="form", content_type="multipart/form-data")
# flask-smorest documents one request body per operation: parse the file part with the same
# parser (same 422s) and document the whole multipart body once.
@blp.ARGUMENTS_PARSER.use_args(schemas.UploadFileSchema, location="files")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": schemas.UploadSchema}}})
@blp.response(201, schemas.AttachmentSchema)
@login_required()
def upload(form, files):
    """上传附件"""
    file = files["file"]
    return service.upload(kit().db, kit().outbox, kit().settings, current_claims(),
                          form["category"], file.filename, file.stream)


@blp.route("/attachments", methods=["GET"])
@blp.arguments(schemas.PageQuerySchema, location="query")
@blp.response(200, schemas.AttachmentPageSchema)
@login_required()
def list_mine(query):
    """我的附件（最新在前）"""
    return service.list_mine(kit().db, current_claims(), query["page"], query["per_page"])


@blp.route("/attachments/<attachment_id>", methods=["GET"])
@blp.response(200, schemas.AttachmentSchema)
@login_required()
def get_attachment(attachment_id):
    """附件信息"""
    return service.get(kit().db, current_claims(), attachment_id)


@blp.route("/attachments/<attachment_id>/content", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
              description="文件内容（PNG、JPEG 或 PDF）")
@login_required()
def view_content(attachment_id):
    """在线查看附件"""
    content = service.open_content(kit().db, kit().settings, current_claims(), attachment_id)
    # Inline with the sniffed type; werkzeug adds filename* (RFC 5987) for Chinese names.
    response = send_file(content.path, mimetype=content.content_type, as_attachment=False,
                         download_name=content.display_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"  # personal documents
    return response


@blp.route("/attachments/<attachment_id>", methods=["DELETE"])
@blp.response(204)
@login_required()
def delete_attachment(attachment_id):
    """删除附件（已被提交的申请引用的不能删除）"""
    service.delete(kit().db, kit().outbox, kit().settings, current_claims(), attachment_id)
