"""需求申报's request and response schemas (its own pages)."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of


class DeclarationQuerySchema(PageQuerySchema):
    process_key = fields.String(load_default="talent_demand")
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["待审核", "待复审", "未通过", "已完成"]),
                           metadata={"description": "待审核 | 待复审 | 未通过 | 已完成"})


class ExportQuerySchema(Schema):
    process_key = fields.String(load_default="talent_demand")
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]),
                           metadata={"description": "csv（默认，UTF-8，Excel 可直接打开）| xlsx"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"description": "导出事由（必填，记入审计日志并印在文件上）"})


class DeclarationSchema(Schema):
    id = fields.String(metadata={"description": "申请（流程实例）编号：查看、重新申请"})
    title = fields.String()
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "脱敏显示"})
    gender = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    political_status = fields.String(allow_none=True)
    professional_title = fields.String(allow_none=True, metadata={"description": "职称"})
    education = fields.String(allow_none=True)
    degree = fields.String(allow_none=True)
    institution = fields.String(allow_none=True)
    major = fields.String(allow_none=True)
    introduction_basis = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "待审核 | 待复审 | 未通过 | 已完成"})
    reason = fields.String(allow_none=True, metadata={"description": "未通过的原因"})
    can_reapply = fields.Boolean(metadata={"description": "可“重新申请”（未通过）"})
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


DeclarationPageSchema = page_of(DeclarationSchema)
