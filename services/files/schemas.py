from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of  # noqa: F401 - used by api

from .model import FORMATS, OWNER_KINDS


class AttachmentSchema(Schema):
    id = fields.String()
    category = fields.String(metadata={"description": "附件类型编码（见 /types）"})
    owner_kind = fields.String(metadata={"description": "person（个人）或 unit（单位）"})
    display_name = fields.String(metadata={"description": "显示名称"})
    original_name = fields.String(metadata={"description": "上传时的文件名"})
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "字节数"})
    sha256 = fields.String()
    locked = fields.Boolean(metadata={"description": "已被提交的申请引用，不能删除"})
    created_at = fields.DateTime()


AttachmentPageSchema = page_of(AttachmentSchema)


class AttachmentListQuerySchema(PageQuerySchema):
    category = fields.String(validate=validate.Length(max=40),
                             metadata={"description": "只看某一类型"})


class UploadFormSchema(Schema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "附件类型编码（见 GET /types）"})
    display_name = fields.String(validate=validate.Length(max=200), metadata={
        "description": "文件显示名称；要求命名规则的类型须为“XX单位-姓名-材料名称”"})


class UploadFileSchema(Schema):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "文件；格式与大小以附件类型的要求为准（PNG、JPG 图片或 PDF）"})


class UploadSchema(UploadFormSchema, UploadFileSchema):
    """The whole multipart body, for the API document."""


class TypeSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{1,39}$", error="编码应为 2-40 位小写字母、数字或下划线，字母开头"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    owner_kinds = fields.List(fields.String(validate=validate.OneOf(OWNER_KINDS)),
                              required=True, validate=validate.Length(min=1, max=2),
                              metadata={"description": "适用账号：person、unit"})
    formats = fields.List(fields.String(validate=validate.OneOf(list(FORMATS))), required=True,
                          validate=validate.Length(min=1, max=len(FORMATS)),
                          metadata={"description": "允许格式：pdf、jpg、png"})
    max_bytes = fields.Integer(required=True, validate=validate.Range(min=1024, error="不能小于 1024 字节"),
                               metadata={"description": "单个文件大小上限（字节）"})
    multiple = fields.Boolean(load_default=False, metadata={"description": "可上传多个文件"})
    hint = fields.String(load_default="", validate=validate.Length(max=1000),
                         metadata={"description": "提示信息（附件名称旁的 i 图标）"})
    naming_required = fields.Boolean(load_default=False,
                                     metadata={"description": "须按“XX单位-姓名-材料名称”命名"})
    photo_width = fields.Integer(allow_none=True, load_default=None,
                                 validate=validate.Range(min=50, max=2000, error="应在 50-2000 像素之间"),
                                 metadata={"description": "照片标准宽度（像素），用于裁切"})
    photo_height = fields.Integer(allow_none=True, load_default=None,
                                  validate=validate.Range(min=50, max=2000, error="应在 50-2000 像素之间"))
    sort_order = fields.Integer(load_default=100, validate=validate.Range(min=0, max=10000, error="应在 0-10000 之间"))
    active = fields.Boolean(load_default=True, metadata={"description": "停用后不再显示、不能上传"})
    rules = fields.String(dump_only=True, metadata={"description": "格式与大小要求（文字）"})


class TypeUpdateSchema(TypeSchema):
    class Meta:
        exclude = ("key",)


class TypeQuerySchema(Schema):
    all = fields.Boolean(load_default=False, metadata={"description": "含已停用（管理员）"})


class SlotQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=50),
                      metadata={"description": "按附件名称模糊搜索：中文或拼音首字母"})
    unit_name = fields.String(validate=validate.Length(max=100),
                              metadata={"description": "默认文件名中的单位名称"})
    person_name = fields.String(validate=validate.Length(max=50),
                                metadata={"description": "默认文件名中的姓名（单位为员工申报时）"})


class SlotSchema(Schema):
    type = fields.Nested(TypeSchema)
    status = fields.String(metadata={"description": "未上传 / 已上传"})
    attachments = fields.List(fields.Nested(AttachmentSchema))
    default_name = fields.String(metadata={"description": "建议文件名：XX单位-姓名-材料名称"})
    can_upload = fields.Boolean()


class CropSchema(Schema):
    x = fields.Integer(required=True, validate=validate.Range(min=0, error="不能为负数"),
                       metadata={"description": "裁切框左上角横坐标（像素）"})
    y = fields.Integer(required=True, validate=validate.Range(min=0, error="不能为负数"),
                       metadata={"description": "裁切框左上角纵坐标（像素）"})
    width = fields.Integer(required=True, validate=validate.Range(
        min=20, max=10000, error="裁切框宽度应在 20-10000 像素之间"))
    height = fields.Integer(required=True, validate=validate.Range(
        min=20, max=10000, error="裁切框高度应在 20-10000 像素之间"))


class CropResultSchema(Schema):
    message = fields.String()
    attachment = fields.Nested(AttachmentSchema)


class LinkSchema(Schema):
    url = fields.String(metadata={"description": "无需登录即可打开的短期链接（经网关）"})
    expires_in = fields.Integer(metadata={"description": "有效秒数"})


class PersonalDataSchema(Schema):
    """files' part of GET /me/export: the files list."""

    attachments = fields.List(fields.Dict())
    used_in_applications = fields.List(fields.Dict())
