"""files' HTTP API: parse with schemas, call the use case with who is asking, return. Every
use case checks the caller itself (service/: catalogue.require_admin, access.viewable, the
owner checks of attachments.py)."""
from flask import current_app, request, send_file
from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from . import schemas, service
from .service import rights
from .model import IDEMPOTENCY
from .storage import LocalStorage

blp = Blueprint("files", __name__, description="附件：类型目录、附件管理、查看、裁切照片")


def files():
    """files' own runtime: its config, storage and link secret (see __init__.py)."""
    return current_app.extensions["rencai.files"]


def _content(attachment, max_age: int = 0):
    storage = files().storage
    # Inline with the sniffed type; werkzeug writes Content-Disposition, with filename*
    # (RFC 5987) for Chinese names. A file on disk goes by its path, so werkzeug also answers
    # Range requests (a PDF viewer fetching a big file in parts) and conditional GETs; an S3
    # object is streamed whole, with the length S3 gave.
    if isinstance(storage, LocalStorage):
        source, size = storage.path(attachment.stored_path), None
    else:
        source, size = storage.open(attachment.stored_path)
    response = send_file(source, mimetype=attachment.content_type, as_attachment=False,
                         download_name=attachment.display_name, max_age=max_age,
                         conditional=size is None, etag=size is None)
    if size is not None:
        response.content_length = size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"  # personal documents
    return response


# --- the catalogue --------------------------------------------------------------------------

@blp.route("/types", methods=["GET"])
@blp.arguments(schemas.TypeQuerySchema, location="query")
@blp.response(200, schemas.TypeSchema(many=True))
@login_required()
def list_types(query):
    """附件类型目录（格式、大小、是否多个、提示信息）"""
    return service.list_types(kit().db, current_claims(), query["all"])


@blp.route("/types", methods=["POST"])
@blp.arguments(schemas.TypeSchema)
@blp.response(201, schemas.TypeSchema)
@login_required()
def create_type(values):
    """新增附件类型（管理员）"""
    return service.create_type(kit().db, files().max_file_bytes, current_claims(), values)


@blp.route("/types/<key>", methods=["PUT"])
@blp.arguments(schemas.TypeUpdateSchema)
@blp.response(200, schemas.TypeSchema)
@login_required()
def update_type(values, key):
    """修改或停用附件类型（管理员）"""
    return service.update_type(kit().db, files().max_file_bytes, current_claims(), key,
                                 values)


# --- the attachment page --------------------------------------------------------------------

@blp.route("/slots", methods=["GET"])
@blp.arguments(schemas.SlotQuerySchema, location="query")
@blp.response(200, schemas.SlotSchema(many=True))
@login_required()
def slots(query):
    """附件管理页：按类型列出附件及状态（未上传 / 已上传），可按名称模糊搜索"""
    return service.slots(kit().db, current_claims(), query["q"], query.get("unit_name"),
                         query.get("person_name"))


@blp.route("/attachments", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.UploadFormSchema, location="form", content_type="multipart/form-data")
# flask-smorest documents one request body per operation: parse the file part with the same
# parser (same 422s) and document the whole multipart body once.
@blp.ARGUMENTS_PARSER.use_args(schemas.UploadFileSchema, location="files")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": schemas.UploadSchema}}})
@blp.response(201, schemas.AttachmentSchema)
@login_required()
def upload(form, file_part):
    """上传附件"""
    file = file_part["file"]
    return service.upload(kit().db, kit().outbox, files().storage, current_claims(),
                          form["category"], file.filename, file.stream, form.get("display_name"))


@blp.route("/attachments", methods=["GET"])
@blp.arguments(schemas.AttachmentListQuerySchema, location="query")
@blp.response(200, schemas.AttachmentPageSchema)
@login_required()
def list_mine(query):
    """我的附件（最新在前）"""
    return service.list_mine(kit().db, current_claims(), query["page"], query["per_page"],
                             query.get("category"))


@blp.route("/attachments/<attachment_id>", methods=["GET"])
@blp.response(200, schemas.AttachmentSchema)
@login_required()
def get_attachment(attachment_id):
    """附件信息（本人，或审核引用它的申请的审核人）"""
    return service.get_attachment(kit().db, current_claims(), attachment_id)


@blp.route("/attachments/<attachment_id>/content", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
              description="文件内容（PNG、JPEG 或 PDF）")
@login_required()
def view_content(attachment_id):
    """在线查看附件"""
    return _content(service.view(kit().db, current_claims(), attachment_id))


@blp.route("/attachments/<attachment_id>/links", methods=["POST"])
@blp.response(201, schemas.LinkSchema)
@login_required()
def make_link(attachment_id):
    """生成短期查看链接（几分钟内有效，无需登录即可打开）"""
    runtime = files()
    return service.make_link(kit().db, runtime.link_secret, runtime.config.link_seconds,
                             current_claims(), attachment_id)


@blp.route("/signed/<token>", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
@blp.doc(security=[])
def signed_content(token):
    """用短期链接查看附件（链接本身即凭证）"""
    runtime = files()
    attachment = service.resolve_link(kit().db, runtime.link_secret,
                                      runtime.config.link_seconds, token)
    response = _content(attachment)
    if request.args.get("inline") == "1":  # shown inside a page of this site (办理): framable
        response.headers["X-Frame-Options"] = "SAMEORIGIN"  # by this site only
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


@blp.route("/attachments/<attachment_id>", methods=["DELETE"])
@blp.response(204)
@login_required()
def delete_attachment(attachment_id):
    """删除附件（已被提交的申请引用的不能删除）"""
    service.delete(kit().db, kit().outbox, files().storage, current_claims(), attachment_id)


@blp.route("/attachments/<attachment_id>/crop", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.CropSchema)
@blp.response(201, schemas.CropResultSchema)
@login_required()
def crop_photo(box, attachment_id):
    """裁切照片：按裁切框裁剪、缩放到标准尺寸、去除元数据后保存"""
    attachment = service.crop(kit().db, kit().outbox, files().storage, current_claims(),
                              attachment_id, box)
    return {"message": "保存成功", "attachment": attachment}


@blp.route("/instances/<instance_id>/attachments", methods=["GET"])
@blp.response(200, schemas.AttachmentSchema(many=True))
@login_required()
def instance_attachments(instance_id):
    """某一申请引用的附件（该申请的审核人或申请人）"""
    return service.of_instance(kit().db, current_claims(), instance_id)


@blp.route("/me/export", methods=["GET"])
@blp.response(200, schemas.PersonalDataSchema)
@login_required()
def my_data():
    """本人上传的附件清单（含被业务申请引用的）；完整导出见 GET /api/me/export"""
    return rights.export(kit().db, current_claims())
