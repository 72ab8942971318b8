"""Applying: the processes one may start, the start, one's instances, withdraw, the timeline, a personal field in full."""
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from .. import schemas, service
from ..model import IDEMPOTENCY
from .blueprints import blp, kit as _k


@blp.route("/processes", methods=["GET"])
@blp.response(200, schemas.ProcessSchema(many=True))
@login_required()
def list_processes():
    """可办理的业务及其申请表单"""
    return service.list_processes(_k().db)


@blp.route("/processes/<process_key>/prefill", methods=["GET"])
@blp.response(200, schemas.PrefillSchema)
@login_required()
def prefill(process_key):
    """基础信息确认：个人信息中已有的基础信息，及据此预填的申请表单内容"""
    return service.prefill(_k().db, current_claims(), process_key)


@blp.route("/instances", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.StartInstanceSchema())
@blp.response(201, schemas.InstanceSchema)
@login_required()
def start_instance(body):
    """提交业务申请"""
    return service.start_instance_view(_k().db, _k().outbox, current_claims(),
                                       body["process_key"], body["data"], body["business_key"])


@blp.route("/instances", methods=["GET"])
@blp.arguments(schemas.InstanceQuerySchema(), location="query")
@blp.response(200, schemas.InstancePageSchema)
@login_required()
def my_instances(query):
    """我的申请（在办与已办结）"""
    return service.my_instances(_k().db, current_claims(), query["page"], query["per_page"],
                                query["status"])


@blp.route("/instances/<instance_id>", methods=["GET"])
@blp.response(200, schemas.InstanceSchema)
@login_required()
def get_instance(instance_id):
    """申请详情：状态、当前环节、办理人、审核记录"""
    return service.instance_detail(_k().db, current_claims(), instance_id)


@blp.route("/instances/<instance_id>/withdraw", methods=["POST"])
@blp.arguments(schemas.WithdrawSchema())
@blp.response(200, schemas.InstanceSchema)
@login_required()
def withdraw(body, instance_id):
    """撤回申请（审核开始前）"""
    service.withdraw(_k().db, _k().outbox, current_claims(), instance_id, body["reason"])
    return service.instance_detail(_k().db, current_claims(), instance_id)


@blp.route("/instances/<instance_id>/audit", methods=["GET"])
@blp.response(200, schemas.AuditSchema(many=True))
@login_required()
def audit_trail(instance_id):
    """完整办理记录（认领、转交、备注、时限、异常……），供审核人员查看"""
    return service.audit_trail(_k().db, current_claims(), instance_id)


@blp.route("/instances/<instance_id>/personal-data", methods=["GET"])
@blp.arguments(schemas.PersonalDataQuerySchema(), location="query")
@blp.response(200, schemas.PersonalFieldSchema)
@login_required()
def personal_data(query, instance_id):
    """查看申请中的完整个人敏感信息（如身份证号）：仅本人或正在审核该申请的审核人员；每次查看记入审计日志"""
    return service.reveal_personal(_k().db, current_claims(), instance_id, query["field"],
                                   query.get("reason"))
