"""The reviewers' inbox: tasks and their counts, saved filters, a task, complete, claim, assign, delegate, comments."""
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from .. import schemas, service
from ..model import IDEMPOTENCY
from .blueprints import blp, kit as _k


@blp.route("/tasks", methods=["GET"])
@blp.arguments(schemas.TaskQuerySchema(), location="query")
@blp.response(200, schemas.TaskPageSchema)
@login_required()
def inbox(query):
    """待办 / 已办任务：筛选、排序、分页"""
    return service.inbox(_k().db, current_claims(), query)


@blp.route("/tasks/counts", methods=["GET"])
@blp.response(200, schemas.CountsSchema)
@login_required()
def task_counts():
    """各任务组待办数（未认领、已超时）"""
    return service.counts(_k().db, current_claims())


@blp.route("/tasks/filters", methods=["GET"])
@blp.response(200, schemas.SavedFilterSchema(many=True))
@login_required()
def saved_filters():
    """我保存的待办筛选条件"""
    return service.saved_filters(_k().db, current_claims())


@blp.route("/tasks/filters", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.SavedFilterInSchema())
@blp.response(201, schemas.SavedFilterSchema)
@login_required()
def save_filter(body):
    """保存待办筛选条件"""
    query = schemas.TaskQuerySchema(exclude=("page", "per_page", "cursor")).dump(body["criteria"])
    query = {k: v for k, v in query.items() if v is not None}
    return service.save_filter(_k().db, current_claims(), body["name"], query)


@blp.route("/tasks/filters/<filter_id>", methods=["DELETE"])
@blp.response(204)
@login_required()
def delete_filter(filter_id):
    """删除筛选条件"""
    service.delete_filter(_k().db, current_claims(), filter_id)


@blp.route("/tasks/<task_id>", methods=["GET"])
@blp.response(200, schemas.TaskSchema)
@login_required()
def get_task(task_id):
    """任务详情：表单、申请内容、附件与备注"""
    return service.task_detail(_k().db, current_claims(), task_id)


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(schemas.CompleteTaskSchema())
@blp.response(200, schemas.InstanceSchema)
@login_required()
def complete_task(body, task_id):
    """办理任务：审核（通过 / 不通过 / 退回）或修改后重新提交"""
    return service.complete_task_view(_k().db, _k().outbox, current_claims(), task_id,
                                      body["data"])


@blp.route("/tasks/<task_id>/claim", methods=["POST"])
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def claim(task_id):
    """认领任务"""
    return service.claim(_k().db, current_claims(), task_id)


@blp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def unclaim(task_id):
    """取消认领，退回任务组"""
    return service.unclaim(_k().db, current_claims(), task_id)


@blp.route("/tasks/<task_id>/assign", methods=["POST"])
@blp.arguments(schemas.AssignSchema())
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def assign(body, task_id):
    """转交给同组同事"""
    return service.assign(_k().db, current_claims(), task_id, body["assignee_id"],
                          body["comment"])


@blp.route("/tasks/<task_id>/delegate", methods=["POST"])
@blp.arguments(schemas.DelegateSchema())
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def delegate(body, task_id):
    """委派同组同事协办（办完交回，仍由本人办理）"""
    return service.delegate(_k().db, current_claims(), task_id, body["delegate_id"],
                            body["comment"])


@blp.route("/tasks/<task_id>/resolve", methods=["POST"])
@blp.arguments(schemas.ResolveSchema())
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def resolve(body, task_id):
    """协办完成，交回委派人"""
    return service.resolve(_k().db, current_claims(), task_id, body["comment"])


@blp.route("/tasks/<task_id>/colleagues", methods=["GET"])
@blp.response(200, schemas.ColleagueSchema(many=True))
@login_required()
def colleagues(task_id):
    """可转交的同组同事"""
    return service.colleagues(_k().db, current_claims(), task_id)


@blp.route("/tasks/<task_id>/comments", methods=["POST"])
@blp.arguments(schemas.CommentSchema())
@blp.response(201, schemas.AuditSchema)
@login_required()
def comment(body, task_id):
    """添加备注"""
    return service.comment(_k().db, current_claims(), task_id, body["body"])
