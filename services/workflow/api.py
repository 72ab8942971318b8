from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.schemas import PageQuerySchema

from . import schemas, service

blp = Blueprint("workflow", __name__, description="业务办理：申请、待办与审核")


@blp.route("/processes", methods=["GET"])
@blp.response(200, schemas.ProcessSchema(many=True))
@login_required()
def list_processes():
    """可办理的业务及其申请表单"""
    return service.list_processes(kit().db)


@blp.route("/instances", methods=["POST"])
@blp.arguments(schemas.StartInstanceSchema)
@blp.response(201, schemas.InstanceSchema)
@login_required()
def start_instance(body):
    """提交业务申请"""
    instance = service.start_instance(kit().db, kit().outbox, current_claims(),
                                      body["process_key"], body["data"])
    return service.instance_detail(kit().db, current_claims(), instance.id)


@blp.route("/instances", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, schemas.InstancePageSchema)
@login_required()
def my_instances(query):
    """我的申请（在办与已办结）"""
    return service.my_instances(kit().db, current_claims(), query["page"], query["per_page"])


@blp.route("/instances/<instance_id>", methods=["GET"])
@blp.response(200, schemas.InstanceSchema)
@login_required()
def get_instance(instance_id):
    """申请详情：当前环节、办理人、审核记录"""
    return service.instance_detail(kit().db, current_claims(), instance_id)


@blp.route("/tasks", methods=["GET"])
@blp.arguments(schemas.TaskQuerySchema, location="query")
@blp.response(200, schemas.TaskPageSchema)
@login_required()
def inbox(query):
    """待办 / 已办任务"""
    return service.inbox(kit().db, current_claims(), query["status"], query["page"],
                         query["per_page"])


@blp.route("/tasks/<task_id>", methods=["GET"])
@blp.response(200, schemas.TaskSchema)
@login_required()
def get_task(task_id):
    """任务详情与表单"""
    return service.task_detail(kit().db, current_claims(), task_id)


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(schemas.CompleteTaskSchema)
@blp.response(200, schemas.InstanceSchema)
@login_required()
def complete_task(body, task_id):
    """办理任务：审核（通过 / 不通过 / 退回）或修改后重新提交"""
    instance = service.complete_task(kit().db, kit().outbox, current_claims(), task_id,
                                     body["data"])
    return service.instance_detail(kit().db, current_claims(), instance.id)
