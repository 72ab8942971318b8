from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuerySchema, page_of

from .model import CATEGORIES

class AttachmentSchema(Schema):
    id = fields.String()
    category = fields.String()
    display_name = fields.String()
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "字节数"})
    sha256 = fields.String()
    locked = fields.Boolean(metadata={"description": "已被提交的申请引用，不能删除"})
    created_at = fields.DateTime()


class UploadFormSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)),
                             metadata={"description": "附件类别：" + "、".join(
                                 f"{key}（{label}）" for key, label in CATEGORIES.items())})


class UploadFileSchema(Schema):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "PNG、JPEG 图片或 PDF 文件，不超过 10 MB"})


class UploadSchema(UploadFormSchema, UploadFileSchema):
    """The whole multipart body, for the API document."""


AttachmentPageSchema = page_of(AttachmentSchema)
