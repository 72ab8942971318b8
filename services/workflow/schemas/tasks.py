"""The reviewers' inbox: tasks, filters, counts, claim / assign / delegate, completing a task."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema

from .instances import AuditSchema, InstanceSchema


class CompleteTaskSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "按任务表单填写的内容，"
                                                "审核环节为 {decision, comment}"})


class TaskQuerySchema(PageQuerySchema):
    status = fields.String(load_default="ready", validate=validate.OneOf(["ready", "completed"]),
                           metadata={"description": "ready 待办；completed 已办"})
    scope = fields.String(load_default="all",
                          validate=validate.OneOf(["all", "mine", "group", "team"]),
                          metadata={"description": "all 我的及未认领；mine 我认领的；group 未认领；"
                                    "team 本组全部"})
    group = fields.String(load_default=None, validate=validate.Length(max=80))
    process_key = fields.String(load_default=None, validate=validate.Length(max=64))
    stage = fields.String(load_default=None, validate=validate.Length(max=64),
                          metadata={"description": "环节（任务编号，如 supervisor_review）"})
    applicant = fields.String(load_default=None, validate=validate.Length(max=100),
                              metadata={"description": "申请人姓名（包含）"})
    unit_id = fields.String(load_default=None, validate=validate.Length(max=36))
    created_from = fields.Date(load_default=None, metadata={"description": "到达日期起"})
    created_to = fields.Date(load_default=None, metadata={"description": "到达日期止"})
    overdue = fields.Boolean(load_default=None, metadata={"description": "是否已超时"})
    sort = fields.String(load_default="-created_at",
                         validate=validate.OneOf(["created_at", "-created_at", "due_at", "-due_at"]))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200),
                           metadata={"description": "翻页标记：上一页返回的 next_cursor；"
                                     "传空字符串从第一页开始（此时不计总数）"})


class SavedFilterInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50),
                         metadata={"description": "筛选条件名称"})
    criteria = fields.Nested(TaskQuerySchema(exclude=("page", "per_page", "cursor")), required=True,
                             metadata={"description": "待办列表的查询条件"})


class SavedFilterSchema(Schema):
    id = fields.String()
    name = fields.String()
    criteria = fields.Dict()
    created_at = fields.DateTime()


class TaskSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    decision = fields.String(allow_none=True)
    candidate_group = fields.String()
    group_title = fields.String()
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    delegated_by = fields.String(allow_none=True, metadata={"description": "委派人（协办中）"})
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    instance_id = fields.String()
    instance_title = fields.String()
    instance_status = fields.String()
    stage = fields.String()
    process_key = fields.String()
    applicant_name = fields.String()


class AttachmentLinkSchema(Schema):
    id = fields.String()
    url = fields.String()


class TaskSchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    candidate_group = fields.String()
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    delegated_by = fields.String(allow_none=True, metadata={"description": "委派人（协办中）"})
    due_at = fields.DateTime(allow_none=True)
    form = fields.Dict(metadata={"description": "本环节表单（JSON Schema）"})
    instance = fields.Nested(InstanceSchema)
    attachments = fields.List(fields.Nested(AttachmentLinkSchema))
    comments = fields.List(fields.Nested(AuditSchema))


class GroupCountSchema(Schema):
    group = fields.String()
    title = fields.String()
    ready = fields.Integer()
    unclaimed = fields.Integer()
    overdue = fields.Integer()


class CountsSchema(Schema):
    assigned_to_me = fields.Integer()
    groups = fields.List(fields.Nested(GroupCountSchema))


class AssignSchema(Schema):
    assignee_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                                metadata={"description": "同组同事的账号编号"})
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class DelegateSchema(Schema):
    delegate_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                                metadata={"description": "协办同事的账号编号"})
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class ResolveSchema(Schema):
    comment = fields.String(load_default=None, validate=validate.Length(max=500),
                            metadata={"description": "协办意见"})


class CommentSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                         metadata={"description": "备注内容"})


class ColleagueSchema(Schema):
    id = fields.String()
    name = fields.String()


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSummarySchema))
    total = fields.Integer(allow_none=True, metadata={"description": "总数（翻页标记方式为空）"})
    page = fields.Integer(allow_none=True)
    per_page = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "下一页的翻页标记"})
