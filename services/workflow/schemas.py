from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuerySchema, page_of


class ProcessSchema(Schema):
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    start_form = fields.Dict(metadata={"description": "申请表单（JSON Schema）"})


class StartInstanceSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "业务编号，如 plan_project"})
    data = fields.Dict(required=True, metadata={"description": "按申请表单填写的内容"})


class CompleteTaskSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "按任务表单填写的内容，"
                                                "审核环节为 {decision, comment}"})


class TaskQuerySchema(PageQuerySchema):
    status = fields.String(load_default="ready", validate=validate.OneOf(["ready", "completed"]),
                           metadata={"description": "ready 待办；completed 已办"})


class AuditSchema(Schema):
    at = fields.DateTime()
    stage = fields.String()
    action = fields.String()
    action_title = fields.String()
    actor_name = fields.String()
    actor_org = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class StageSchema(Schema):
    task_id = fields.String()
    title = fields.String()
    holder = fields.String(metadata={"description": "当前由谁办理"})


class InstanceSummarySchema(Schema):
    id = fields.String()
    process_key = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "running 办理中；completed 已办结"})
    outcome = fields.String(allow_none=True, metadata={"description": "approved / rejected"})
    started_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    current_stage = fields.List(fields.Nested(StageSchema))
    last_action = fields.Nested(AuditSchema, allow_none=True)


class InstanceSchema(InstanceSummarySchema):
    applicant_name = fields.String()
    application = fields.Dict()
    timeline = fields.List(fields.Nested(AuditSchema))


class TaskSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    instance_id = fields.String()
    instance_title = fields.String()
    process_key = fields.String()
    applicant_name = fields.String()


class TaskSchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    form = fields.Dict(metadata={"description": "本环节表单（JSON Schema）"})
    instance = fields.Nested(InstanceSchema)


TaskPageSchema = page_of(TaskSummarySchema)
InstancePageSchema = page_of(InstanceSummarySchema)
