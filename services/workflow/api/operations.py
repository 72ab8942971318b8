"""Admins: search instances, trace, move, incidents and retry, restrictions, notices."""
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent
from services.common.schemas import PageQuerySchema

from .. import schemas, service
from ..model import IDEMPOTENCY
from .blueprints import admin, kit as _k


@admin.route("/instances", methods=["GET"])
@admin.arguments(schemas.AdminInstanceQuerySchema(), location="query")
@admin.response(200, schemas.AdminInstancePageSchema)
@login_required()
def search_instances(query):
    """查询全部申请（业务、状态、申请人、单位、提交日期）"""
    return service.search_instances(_k().db, current_claims(), query)


@admin.route("/instances/<instance_id>/trace", methods=["GET"])
@admin.response(200, schemas.TraceSchema)
@login_required()
def instance_trace(instance_id):
    """申请在流程图上的轨迹：所在版本、已走过的元素、当前环节、流程数据"""
    return service.trace(_k().db, current_claims(), instance_id)


@admin.route("/instances/<instance_id>/move", methods=["POST"])
@admin.arguments(schemas.MoveSchema())
@admin.response(200, schemas.InstanceSchema)
@login_required()
def move_instance(body, instance_id):
    """把卡住的申请移到任一用户任务：移回已走过的或跳到未到达的（须说明原因，记入审核记录）"""
    service.move(_k().db, _k().outbox, current_claims(), instance_id, body["task_key"],
                 body["reason"])
    return service.instance_detail(_k().db, current_claims(), instance_id)


@admin.route("/incidents", methods=["GET"])
@admin.arguments(PageQuerySchema(), location="query")
@admin.response(200, schemas.InstancePageSchema)
@login_required()
def incidents(query):
    """办理异常的申请"""
    return service.incidents(_k().db, current_claims(), query["page"], query["per_page"])


@admin.route("/incidents/<instance_id>/retry", methods=["POST"])
@admin.arguments(schemas.RetrySchema())
@admin.response(200, schemas.InstanceSchema)
@login_required()
def retry(body, instance_id):
    """修正数据后重试"""
    service.retry(_k().db, _k().outbox, current_claims(), instance_id, body["data"])
    return service.instance_detail(_k().db, current_claims(), instance_id)


@admin.route("/restrictions", methods=["GET"])
@admin.response(200, schemas.RestrictionSchema(many=True))
@login_required()
def list_restrictions():
    """业务限制列表"""
    return service.restrictions(_k().db, current_claims())


@admin.route("/restrictions", methods=["POST"])
@idempotent(IDEMPOTENCY)
@admin.arguments(schemas.RestrictionInSchema())
@admin.response(201, schemas.RestrictionSchema)
@login_required()
def restrict(body):
    """限制个人或单位办理某业务（须说明原因）"""
    return service.restrict(_k().db, current_claims(), body["subject_id"], body["process_key"],
                            body["reason"])


@admin.route("/restrictions/<restriction_id>", methods=["DELETE"])
@admin.response(204)
@login_required()
def lift(restriction_id):
    """解除限制"""
    service.lift(_k().db, current_claims(), restriction_id)


@admin.route("/notices", methods=["POST"])
@idempotent(IDEMPOTENCY)
@admin.arguments(schemas.NoticeInSchema())
@admin.response(201, schemas.NoticeSchema)
@login_required()
def publish_notice(body):
    """发布通知公告"""
    return service.publish_notice(_k().db, current_claims(), body["title"], body["body"],
                                  body["attachment_ids"])
