"""Applying and following an application: processes, the start, instances and their timeline."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of


STATUSES = ["running", "returned", "completed", "rejected", "withdrawn", "failed"]


class ProcessSchema(Schema):
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    start_form = fields.Dict(metadata={"description": "申请表单（JSON Schema）"})


class PrefillSchema(Schema):
    basic_info = fields.Dict(metadata={"description": "基础信息：姓名、性别、民族、政治面貌、学历、所在单位"})
    profile_complete = fields.Boolean(metadata={"description": "是否已提交个人信息（未提交则只有姓名和单位）"})
    form = fields.Dict(metadata={"description": "按申请表单字段预填的内容（受教育情况、专业工作主要经历）"})


class StartInstanceSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "业务编号，如 plan_project"})
    business_key = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "业务单号（可选，办理中唯一）"})
    data = fields.Dict(required=True, metadata={"description": "按申请表单填写的内容"})


class WithdrawSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=500),
                           metadata={"description": "撤回原因"})


class InstanceQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES + ["active"]),
                           metadata={"description": "按状态筛选；active 为在办"})


class AuditSchema(Schema):
    at = fields.DateTime()
    stage = fields.String()
    action = fields.String()
    action_title = fields.String()
    actor_name = fields.String()
    actor_org = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


class StageSchema(Schema):
    task_id = fields.String()
    title = fields.String()
    task_key = fields.String()
    holder = fields.String(metadata={"description": "当前由谁办理"})
    assignee_name = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "规定时限"})


class InstanceSummarySchema(Schema):
    """Every item of a list of instances has every field (required: the document promises
    them, and the property-based test holds the answers to it); incident only for staff."""
    id = fields.String(required=True)
    process_key = fields.String(required=True)
    title = fields.String(required=True)
    business_key = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"description": "running 办理中；returned 已退回；"
                                     "completed 已办结（通过）；rejected 未通过；withdrawn 已撤回；"
                                     "failed 办理异常"})
    status_title = fields.String(required=True)
    outcome = fields.String(required=True, allow_none=True, metadata={"description": "approved / rejected / withdrawn"})
    stage = fields.String(required=True, metadata={"description": "当前环节，如“归口单位审核中”"})
    holder = fields.String(required=True, allow_none=True, metadata={"description": "当前由谁办理"})
    started_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    current_stage = fields.List(fields.Nested(StageSchema), required=True)
    last_action = fields.Nested(AuditSchema, required=True, allow_none=True)
    withdrawable = fields.Boolean(required=True, metadata={"description": "申请人现在能否撤回"})
    applicant_name = fields.String(required=True)
    incident = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)


class InstanceSchema(InstanceSummarySchema):
    application = fields.Dict()
    result = fields.Dict(allow_none=True, metadata={"description": "如专家评审汇总"})
    return_reason = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(AuditSchema))


InstancePageSchema = page_of(InstanceSummarySchema)


class PersonalDataQuerySchema(Schema):
    field = fields.String(load_default="id_number", validate=validate.Length(min=1, max=40),
                          metadata={"description": "个人敏感信息字段（流程的 rencai:piiFields），默认 id_number"})
    reason = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "查看事由（可选，记入审计日志）"})


class PersonalFieldSchema(Schema):
    field = fields.String()
    value = fields.String(allow_none=True)
