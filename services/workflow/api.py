"""workflow's HTTP surface: parse with schemas, call the use cases, return. No logic here."""
from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.schemas import PageQuerySchema
from services.common.idempotency import idempotent

from . import schemas, service
from .service import rights
from .model import IDEMPOTENCY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint("workflow", __name__, description="业务办理：申请、待办与审核")
admin = Blueprint("workflow-admin", __name__, url_prefix="/admin",
                  description="管理员：流程定义、版本迁移、办理异常、业务限制、通知公告")
portal = Blueprint("workflow-portal", __name__, description="门户：人才服务列表、在办业务、通知与提示")
contest = Blueprint("workflow-competitions", __name__,
                    description="技能竞赛报名：竞赛计划、个人身份信息确认、个人基本信息、报名、已报名竞赛管理")
blueprints = [blp, admin, portal, contest]


def _k():
    return kit()


# --- applying -------------------------------------------------------------------------------

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
@blp.arguments(schemas.StartInstanceSchema)
@blp.response(201, schemas.InstanceSchema)
@login_required()
def start_instance(body):
    """提交业务申请"""
    return service.start_instance_view(_k().db, _k().outbox, current_claims(),
                                       body["process_key"], body["data"], body["business_key"])


@blp.route("/instances", methods=["GET"])
@blp.arguments(schemas.InstanceQuerySchema, location="query")
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
@blp.arguments(schemas.WithdrawSchema)
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
@blp.arguments(schemas.PersonalDataQuerySchema, location="query")
@blp.response(200, schemas.PersonalFieldSchema)
@login_required()
def personal_data(query, instance_id):
    """查看申请中的完整个人敏感信息（如身份证号）：仅本人或正在审核该申请的审核人员；每次查看记入审计日志"""
    return service.reveal_personal(_k().db, current_claims(), instance_id, query["field"],
                                   query.get("reason"))


# --- the inbox ------------------------------------------------------------------------------

@blp.route("/tasks", methods=["GET"])
@blp.arguments(schemas.TaskQuerySchema, location="query")
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
@blp.arguments(schemas.SavedFilterInSchema)
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
@blp.arguments(schemas.CompleteTaskSchema)
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
@blp.arguments(schemas.AssignSchema)
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def assign(body, task_id):
    """转交给同组同事"""
    return service.assign(_k().db, current_claims(), task_id, body["assignee_id"],
                          body["comment"])


@blp.route("/tasks/<task_id>/delegate", methods=["POST"])
@blp.arguments(schemas.DelegateSchema)
@blp.response(200, schemas.TaskSummarySchema)
@login_required()
def delegate(body, task_id):
    """委派同组同事协办（办完交回，仍由本人办理）"""
    return service.delegate(_k().db, current_claims(), task_id, body["delegate_id"],
                            body["comment"])


@blp.route("/tasks/<task_id>/resolve", methods=["POST"])
@blp.arguments(schemas.ResolveSchema)
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
@blp.arguments(schemas.CommentSchema)
@blp.response(201, schemas.AuditSchema)
@login_required()
def comment(body, task_id):
    """添加备注"""
    return service.comment(_k().db, current_claims(), task_id, body["body"])


# --- admins: definitions --------------------------------------------------------------------

@admin.route("/definitions", methods=["GET"])
@admin.response(200, schemas.DefinitionSummarySchema(many=True))
@login_required()
def list_definitions():
    """全部流程定义：运行中版本、待发布版本、在办申请数"""
    return service.catalogue_of_definitions(_k().db, current_claims())


@admin.route("/definitions/<process_key>/validate", methods=["POST"])
@admin.arguments(schemas.DefinitionUploadSchema)
@admin.response(200, schemas.ValidSchema)
@login_required()
def validate_definition(body, process_key):
    """校验流程定义（不保存）"""
    return service.check(current_claims(), process_key, body["bpmn_xml"], body["forms"])


@admin.route("/definitions/<process_key>/versions", methods=["POST"])
@admin.arguments(schemas.DefinitionUploadSchema)
@admin.response(201, schemas.DefinitionSchema)
@login_required()
def upload_definition(body, process_key):
    """上传新版本（校验通过后保存为待发布）"""
    return service.upload(_k().db, current_claims(), process_key, body["bpmn_xml"],
                          body["forms"], body["note"])


@admin.route("/definitions/<process_key>/versions", methods=["GET"])
@admin.response(200, schemas.DefinitionSchema(many=True))
@login_required()
def list_versions(process_key):
    """版本列表（上传人、时间、在办申请数）"""
    return service.versions(_k().db, current_claims(), process_key)


@admin.route("/definitions/<process_key>/versions/<int:version>", methods=["GET"])
@admin.response(200, schemas.DefinitionFileSchema)
@login_required()
def download_version(process_key, version):
    """下载某版本的 BPMN 与表单"""
    return service.download(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/versions/<int:version>/diff", methods=["GET"])
@admin.response(200, schemas.DiffSchema)
@login_required()
def diff_version(process_key, version):
    """与运行中版本的差异"""
    return service.diff(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/versions/<int:version>/deploy", methods=["POST"])
@admin.response(200, schemas.DefinitionSchema)
@login_required()
def deploy_version(process_key, version):
    """发布（或回滚到）某版本：新申请按此版本办理，在办申请不变"""
    return service.make_current(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/migrations", methods=["POST"])
@admin.arguments(schemas.MigrateSchema)
@admin.response(200, schemas.MigrationReportSchema)
@login_required()
def migrate(body, process_key):
    """把在办申请迁移到某版本（dry_run 只检查）"""
    return service.migrate(_k().db, _k().outbox, current_claims(), process_key, body["version"],
                           body["instance_ids"], body["dry_run"])


# --- admins: incidents, restrictions, notices -----------------------------------------------

@admin.route("/instances", methods=["GET"])
@admin.arguments(schemas.AdminInstanceQuerySchema, location="query")
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
@admin.arguments(schemas.MoveSchema)
@admin.response(200, schemas.InstanceSchema)
@login_required()
def move_instance(body, instance_id):
    """把卡住的申请移到任一用户任务：移回已走过的或跳到未到达的（须说明原因，记入审核记录）"""
    service.move(_k().db, _k().outbox, current_claims(), instance_id, body["task_key"],
                 body["reason"])
    return service.instance_detail(_k().db, current_claims(), instance_id)


@admin.route("/incidents", methods=["GET"])
@admin.arguments(PageQuerySchema, location="query")
@admin.response(200, schemas.InstancePageSchema)
@login_required()
def incidents(query):
    """办理异常的申请"""
    return service.incidents(_k().db, current_claims(), query["page"], query["per_page"])


@admin.route("/incidents/<instance_id>/retry", methods=["POST"])
@admin.arguments(schemas.RetrySchema)
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
@admin.arguments(schemas.RestrictionInSchema)
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
@admin.arguments(schemas.NoticeInSchema)
@admin.response(201, schemas.NoticeSchema)
@login_required()
def publish_notice(body):
    """发布通知公告"""
    return service.publish_notice(_k().db, current_claims(), body["title"], body["body"],
                                  body["attachment_ids"])


# --- the portal -----------------------------------------------------------------------------

@portal.route("/catalogue", methods=["GET"])
@portal.response(200, schemas.CatalogueEntrySchema(many=True))
@login_required()
def catalogue():
    """人才服务列表：可办理的业务，不能办理时说明原因"""
    return service.catalogue(_k().db, current_claims())


@portal.route("/in-progress", methods=["GET"])
@portal.response(200, schemas.InProgressSchema)
@login_required()
def in_progress():
    """在办业务（个人本人的；单位账号为本单位人员的）"""
    return service.in_progress(_k().db, current_claims())


@portal.route("/me/certificates", methods=["GET"])
@portal.response(200, schemas.CertificatePanelSchema)
@login_required()
def certificates():
    """有效证件信息展示（持有有效工作居住证时显示）"""
    return service.certificates(_k().db, current_claims())


@portal.route("/notices", methods=["GET"])
@portal.arguments(PageQuerySchema, location="query")
@portal.response(200, schemas.NoticePageSchema)
@login_required()
def notices(query):
    """通知公告（查看更多）"""
    return service.notices(_k().db, query["page"], query["per_page"])


@portal.route("/prompts", methods=["GET"])
@portal.arguments(PageQuerySchema, location="query")
@portal.response(200, schemas.PromptListSchema)
@login_required()
def prompts(query):
    """业务提示（查看更多）"""
    return service.prompts(_k().db, current_claims(), query["page"], query["per_page"])


@portal.route("/prompts/read", methods=["POST"])
@portal.response(204)
@login_required()
def read_prompts():
    """全部标为已读"""
    service.mark_prompts_read(_k().db, current_claims())


# --- 需求申报 (talent introduction, seed 003) ------------------------------------------------

@portal.route("/declarations", methods=["GET"])
@portal.arguments(schemas.DeclarationQuerySchema, location="query")
@portal.response(200, schemas.DeclarationPageSchema)
@login_required()
def declarations(query):
    """需求申报列表：单位的全部个人申报及状态（待审核 / 待复审 / 未通过 / 已完成）；区委人才办为本区单位的"""
    return service.declarations(_k().db, current_claims(), query["process_key"],
                                query["status"], query["page"], query["per_page"])


@portal.route("/declarations/export", methods=["GET"])
@portal.arguments(schemas.ExportQuerySchema, location="query")
@portal.response(200, {"format": "binary", "type": "string"}, content_type="text/csv",
                 description="CSV；format=xlsx 时为 XLSX")
@portal.alt_response(200, success=True, content_type=XLSX,
                     schema={"format": "binary", "type": "string"})
@login_required()
def export_declarations(query):
    """导出复审通过（已完成）名单，报市人才工作局（区委人才办；CSV 或 XLSX；须填导出事由，
    文件标明内部资料、导出人和时间，导出记入审计日志）"""
    from urllib.parse import quote

    from flask import Response

    body, filename, content_type = service.export_passed(
        _k().db, current_claims(), query["process_key"], query["format"], query["reason"])
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


# --- 技能竞赛报名 -----------------------------------------------------------------------------

@contest.route("/competitions", methods=["POST"])
@idempotent(IDEMPOTENCY)
@contest.arguments(schemas.CompetitionBodySchema)
@contest.response(201, schemas.CompetitionSchema)
@login_required()
def create_competition(body):
    """新建竞赛计划（竞赛组委会，发布前可修改）"""
    return service.create_competition(_k().db, current_claims(), body)


@contest.route("/competitions", methods=["GET"])
@contest.arguments(PageQuerySchema, location="query")
@contest.response(200, schemas.CompetitionPageSchema)
@login_required()
def list_competitions(query):
    """个人竞赛计划列表（个人：已发布的竞赛及本人报名状态；组委会：本组委会的全部计划）"""
    return service.competition_plans(_k().db, current_claims(), query["page"], query["per_page"])


@contest.route("/competitions/<competition_id>", methods=["GET"])
@contest.response(200, schemas.CompetitionSchema)
@login_required()
def get_competition(competition_id):
    """竞赛计划详情：职业（工种）、报名时间、竞赛时间"""
    return service.competition_detail(_k().db, current_claims(), competition_id)


@contest.route("/competitions/<competition_id>", methods=["PUT"])
@contest.arguments(schemas.CompetitionBodySchema)
@contest.response(200, schemas.CompetitionSchema)
@login_required()
def update_competition(body, competition_id):
    """修改竞赛计划（未发布）"""
    return service.update_competition(_k().db, current_claims(), competition_id, body)


@contest.route("/competitions/<competition_id>/<any(publish, close):action>", methods=["POST"])
@contest.response(200, schemas.CompetitionSchema)
@login_required()
def change_competition_state(competition_id, action):
    """发布竞赛计划（publish）/ 结束报名（close）"""
    return service.change_competition_state(_k().db, current_claims(), competition_id, action)


@contest.route("/competitions/<competition_id>/registrations", methods=["GET"])
@contest.arguments(schemas.RegistrationQuerySchema, location="query")
@contest.response(200, schemas.RegistrationPageSchema)
@login_required()
def competition_registrations(query, competition_id):
    """报名审核列表（竞赛组委会）：已提交的报名及其状态，可按状态、职业（工种）筛选"""
    return service.competition_registrations(
        _k().db, current_claims(), competition_id, query["status"], query["occupation_code"],
        query["page"], query["per_page"])


@contest.route("/competitions/<competition_id>/registration", methods=["PUT"])
@contest.arguments(schemas.RegistrationBodySchema)
@contest.response(200, schemas.RegistrationSchema)
@login_required()
def save_registration(body, competition_id):
    """报名 → 保存：本人对该竞赛的报名信息（职业工种等），提交审核前可反复修改"""
    return service.save_registration(_k().db, current_claims(), competition_id, body)


@contest.route("/me/competitor", methods=["GET"])
@contest.response(200, schemas.CompetitorSchema)
@login_required()
def get_competitor():
    """个人基本信息维护：是否已确认身份、个人基本信息、可预填的信息"""
    return service.competitor(_k().db, current_claims())


@contest.route("/me/competitor/confirmation", methods=["POST"])
@contest.arguments(schemas.ConfirmIdentitySchema)
@contest.response(201, schemas.CompetitorSchema)
@login_required()
def confirm_competitor(body):
    """个人身份信息确认（首次进入竞赛系统）：姓名和证件号码须与实名认证一致"""
    return service.confirm_identity(_k().db, current_claims(), body["name"], body["id_number"])


@contest.route("/me/competitor", methods=["PUT"])
@contest.arguments(schemas.CompetitorBodySchema)
@contest.response(200, schemas.CompetitorSchema)
@login_required()
def save_competitor(body):
    """保存个人基本信息（套用到以后的每一次报名）"""
    return service.save_competitor(_k().db, current_claims(), body)


@contest.route("/me/competitor/photo", methods=["PUT"])
@contest.arguments(schemas.PhotoSchema)
@contest.response(200, schemas.CompetitorSchema)
@login_required()
def set_competitor_photo(body):
    """保存照片：上传并裁切（附件服务）后的个人证件照片"""
    return service.set_competitor_photo(_k().db, current_claims(), body["file_id"])


@contest.route("/me/competition-registrations", methods=["GET"])
@contest.arguments(PageQuerySchema, location="query")
@contest.response(200, schemas.RegistrationPageSchema)
@login_required()
def my_registrations(query):
    """已报名竞赛管理：本人的报名及其状态"""
    return service.my_registrations(_k().db, current_claims(), query["page"], query["per_page"])


@contest.route("/me/competition-registrations/<registration_id>", methods=["GET"])
@contest.response(200, schemas.RegistrationSchema)
@login_required()
def get_registration(registration_id):
    """查看：报名信息、状态、退回或不通过的原因"""
    return service.registration_detail(_k().db, current_claims(), registration_id)


@contest.route("/me/competition-registrations/<registration_id>/photo", methods=["PUT"])
@contest.arguments(schemas.PhotoSchema)
@contest.response(200, schemas.RegistrationSchema)
@login_required()
def set_registration_photo(body, registration_id):
    """本次竞赛用的照片（不设置则用个人基本信息中的照片）"""
    return service.set_registration_photo(_k().db, current_claims(), registration_id,
                                          body["file_id"])


@contest.route("/me/competition-registrations/<registration_id>/submit", methods=["POST"])
@contest.response(200, schemas.RegistrationSchema)
@login_required()
def submit_registration(registration_id):
    """提交审核：报名信息连同个人基本信息提交竞赛组委会审核"""
    return service.submit_registration(_k().db, _k().outbox, current_claims(), registration_id)


@portal.route("/me/export", methods=["GET"])
@portal.response(200, schemas.PersonalDataSchema)
@login_required()
def my_data():
    """本人的业务申请及办理记录、竞赛报名、提示等；完整导出见 GET /api/me/export"""
    return rights.export(_k().db, current_claims())
