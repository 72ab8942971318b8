"""Admins' operations: search instances, trace, move, incidents, restrictions, notices."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of

from .instances import STATUSES, InstanceSummarySchema


class AdminInstanceQuerySchema(PageQuerySchema):
    process_key = fields.String(load_default=None, validate=validate.Length(max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES + ["active"]),
                           metadata={"description": "按状态筛选；active 为在办（含办理异常）"})
    applicant = fields.String(load_default=None, validate=validate.Length(max=100),
                              metadata={"description": "申请人姓名（包含）"})
    unit_id = fields.String(load_default=None, validate=validate.Length(max=36))
    started_from = fields.Date(load_default=None, metadata={"description": "提交日期起"})
    started_to = fields.Date(load_default=None, metadata={"description": "提交日期止"})


class AdminInstanceSchema(InstanceSummarySchema):
    version = fields.Integer(metadata={"description": "所在流程版本"})
    unit_id = fields.String(allow_none=True)


AdminInstancePageSchema = page_of(AdminInstanceSchema)


class TraceSchema(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    version = fields.Integer()
    status = fields.String()
    incident = fields.String(allow_none=True)
    done = fields.List(fields.String(), metadata={"description": "已走过的流程元素"})
    current = fields.List(fields.String(), metadata={"description": "当前等待的环节"})
    data = fields.Dict(metadata={"description": "流程数据"})


class MoveSchema(Schema):
    task_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "移到的环节（流程中任一用户任务的编号）"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "原因（记入审核记录）"})


class RetrySchema(Schema):
    data = fields.Dict(load_default=dict, metadata={"description": "修正后的流程数据"})


class RestrictionInSchema(Schema):
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                               metadata={"description": "个人账号或单位编号"})
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RestrictionSchema(RestrictionInSchema):
    id = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()


class NoticeInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    attachment_ids = fields.List(fields.String(validate=validate.Length(max=36)),
                                 load_default=list, validate=validate.Length(max=20))


class NoticeSchema(NoticeInSchema):
    id = fields.String()
    published_by = fields.String()
    published_at = fields.DateTime()


NoticePageSchema = page_of(NoticeSchema)
