"""The portal: service catalogue, in progress, prompts, certificates, the personal-data export."""
from marshmallow import INCLUDE, fields, post_dump

from services.common.schemas import Schema

from .instances import InstanceSummarySchema


class CatalogueEntrySchema(Schema):
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    can_start = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "不能办理的原因"})
    restricted = fields.Boolean()
    entry = fields.String(allow_none=True, metadata={
        "description": "办理入口：不经 POST /instances 申请的业务（技能竞赛报名在竞赛计划列表中报名）"})


class InProgressSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    message = fields.String(allow_none=True)


class PromptSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    instance_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()


class PromptListSchema(Schema):
    items = fields.List(fields.Nested(PromptSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread = fields.Integer(metadata={"description": "未读条数"})


class CertificateSchema(Schema):
    kind = fields.String(metadata={"description": "证件类型，如 工作居住证"})
    number = fields.String(metadata={"description": "证件编号"})
    holder_name = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    instance_id = fields.String()


class CertificatePanelSchema(Schema):
    items = fields.List(fields.Nested(CertificateSchema))
    show = fields.Boolean(metadata={"description": "未持有有效证件时不显示此区域"})


class PersonalDataSchema(Schema):
    """workflow's part of GET /me/export: {table: [rows]}; the businesses add their own
    tables (hooks.Business.personal_data, e.g. competition_registrations), kept as they are
    (and documented as additional properties)."""

    class Meta:
        unknown = INCLUDE

    applications = fields.List(fields.Dict())
    application_timeline = fields.List(fields.Dict())
    prompts = fields.List(fields.Dict())
    person_record = fields.List(fields.Dict())
    restrictions = fields.List(fields.Dict())

    @post_dump(pass_original=True)
    def _businesses(self, data: dict, original: dict, **kwargs) -> dict:
        return {**{k: v for k, v in original.items() if k not in self.fields}, **data}
