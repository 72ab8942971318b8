"""orgs' HTTP API: parse with schemas, call the use case with who is asking, return. Every
use case checks the caller itself (service/access.py)."""
from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from . import schemas, service
from .service import rights
from .model import IDEMPOTENCY

blp = Blueprint("orgs", __name__, description="机构、单位与人员关联")


# --- the hierarchy (admins maintain it; staff read it) --------------------------------------

@blp.route("/orgs", methods=["GET"])
@blp.arguments(schemas.OrgQuerySchema, location="query")
@blp.response(200, schemas.OrgPageSchema)
@login_required()
def list_orgs(query):
    """机构列表（工作人员）"""
    return service.list_orgs(kit().db, current_claims(), query.get("kind"), query["page"],
                             query["per_page"], query.get("parent_id"), query.get("name"))


@blp.route("/orgs", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.OrgCreateSchema)
@blp.response(201, schemas.OrgSchema)
@login_required()
def create_org(data):
    """新建机构（管理员）：单位的上级为归口单位，归口单位、区委人才办等的上级为市局"""
    return service.create_org(kit().db, kit().outbox, current_claims(), data)


@blp.route("/orgs/<org_id>", methods=["GET"])
@blp.response(200, schemas.OrgSchema)
@login_required()
def get_org(org_id):
    """机构信息"""
    return service.get_org(kit().db, org_id)


@blp.route("/orgs/<org_id>", methods=["PATCH"])
@blp.arguments(schemas.OrgUpdateSchema)
@blp.response(200, schemas.OrgSchema)
@login_required()
def update_org(changes, org_id):
    """修改机构名称或上级（管理员）"""
    return service.update_org(kit().db, kit().outbox, current_claims(), org_id, changes)


# --- a unit's own information -------------------------------------------------------------

@blp.route("/units/<unit_id>/home", methods=["GET"])
@blp.response(200, schemas.UnitHomeSchema)
@login_required()
def unit_home(unit_id):
    """单位首页：基础信息、业务经办人、关联代码、待确认与在职人数、是否需完善信息"""
    return service.unit_home(kit().db, current_claims(), unit_id)


@blp.route("/units/<unit_id>/profile", methods=["GET"])
@blp.response(200, schemas.ProfileSchema)
@login_required()
def get_profile(unit_id):
    """单位完整信息（也是提交前的预览：missing 列出仍需填写的项）"""
    return service.get_profile(kit().db, current_claims(), unit_id)


@blp.route("/units/<unit_id>/profile", methods=["PUT"])
@blp.arguments(schemas.ProfileInputSchema)
@blp.response(200, schemas.ProfileSchema)
@login_required()
def save_profile(data, unit_id):
    """填写或修改单位信息（一般信息、资质、业务经办人、电子附件）"""
    return service.save_profile(kit().db, kit().outbox, current_claims(), unit_id, data)


@blp.route("/units/<unit_id>/profile/submit", methods=["POST"])
@blp.response(200, schemas.ProfileSchema)
@login_required()
def submit_profile(unit_id):
    """提交单位信息（完善信息后方可进入平台首页）"""
    return service.submit_profile(kit().db, kit().outbox, current_claims(), unit_id)


@blp.route("/units/<unit_id>/handler", methods=["PUT"])
@blp.arguments(schemas.HandlerInputSchema)
@blp.response(200, schemas.ProfileSchema)
@login_required()
def maintain_handler(data, unit_id):
    """维护业务经办人及紧急联系人"""
    return service.maintain_handler(kit().db, kit().outbox, current_claims(), unit_id, data)


@blp.route("/units/<unit_id>/association-code", methods=["POST"])
@blp.response(200, schemas.AssociationCodeSchema)
@login_required()
def regenerate_association_code(unit_id):
    """重新生成单位关联代码（原代码随即失效）"""
    return service.regenerate_association_code(kit().db, kit().outbox, current_claims(), unit_id)


# --- affiliation: the person's side ---------------------------------------------------------

@blp.route("/association-codes/<code>", methods=["GET"])
@blp.response(200, schemas.UnitFoundSchema)
@login_required()
def find_unit(code):
    """按单位关联代码查询单位（个人）"""
    return service.find_by_association_code(kit().db, current_claims(), code)


@blp.route("/me/affiliation-requests", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.AffiliationRequestSchema)
@blp.response(201, schemas.AffiliationSchema)
@login_required()
def request_affiliation(data):
    """申请关联单位（个人）"""
    return service.request_affiliation(kit().db, kit().outbox, current_claims(), data)


@blp.route("/me/affiliation-requests", methods=["GET"])
@blp.arguments(schemas.PageQuerySchema, location="query")
@blp.response(200, schemas.AffiliationPageSchema)
@login_required()
def my_requests(query):
    """本人的关联申请记录（含拒绝、解除关联的原因）"""
    return service.my_requests(kit().db, current_claims(), query["page"], query["per_page"])


@blp.route("/me/affiliation", methods=["GET"])
@blp.response(200, schemas.AffiliationSchema)
@login_required()
def my_affiliation():
    """本人关联的单位"""
    return service.my_affiliation(kit().db, current_claims())


# --- affiliation: the unit's side -----------------------------------------------------------

@blp.route("/units/<unit_id>/affiliations", methods=["GET"])
@blp.arguments(schemas.AffiliationQuerySchema, location="query")
@blp.response(200, schemas.EmployeePageSchema)
@login_required()
def unit_affiliations(query, unit_id):
    """单位的关联申请（默认待确认；可按姓名、身份证号、日期、状态筛选）"""
    return service.list_affiliations(kit().db, current_claims(), unit_id, query)


@blp.route("/units/<unit_id>/affiliations/<affiliation_id>/approve", methods=["POST"])
@blp.arguments(schemas.DecisionSchema)
@blp.response(200, schemas.EmployeeSchema)
@login_required()
def approve(data, unit_id, affiliation_id):
    """通过员工关联申请"""
    return service.decide(kit().db, kit().outbox, current_claims(), unit_id, affiliation_id,
                          "approve", data.get("reason"))


@blp.route("/units/<unit_id>/affiliations/<affiliation_id>/reject", methods=["POST"])
@blp.arguments(schemas.DecisionSchema)
@blp.response(200, schemas.EmployeeSchema)
@login_required()
def reject(data, unit_id, affiliation_id):
    """拒绝员工关联申请（须填写原因）"""
    return service.decide(kit().db, kit().outbox, current_claims(), unit_id, affiliation_id,
                          "reject", data.get("reason"))


@blp.route("/units/<unit_id>/employees", methods=["GET"])
@blp.arguments(schemas.EmployeeQuerySchema, location="query")
@blp.response(200, schemas.EmployeePageSchema)
@login_required()
def unit_employees(query, unit_id):
    """单位的在职员工（可按姓名、身份证号、关联日期筛选）"""
    return service.list_affiliations(kit().db, current_claims(), unit_id, query)


@blp.route("/units/<unit_id>/employees/<affiliation_id>", methods=["GET"])
@blp.response(200, schemas.EmployeeDetailSchema)
@login_required()
def employee_detail(unit_id, affiliation_id):
    """员工信息（含当前职位、劳动合同、在办业务，及一般信息、教育、学习、工作经历）"""
    return service.employee_detail(kit().db, current_claims(), unit_id, affiliation_id)


@blp.route("/units/<unit_id>/employees/<affiliation_id>/employment", methods=["PUT"])
@blp.arguments(schemas.EmploymentSchema)
@blp.response(200, schemas.EmployeeSchema)
@login_required()
def update_employment(data, unit_id, affiliation_id):
    """更新员工当前职位与劳动合同"""
    return service.update_employment(kit().db, current_claims(), unit_id, affiliation_id, data)


@blp.route("/units/<unit_id>/employees/<affiliation_id>/unlink-check", methods=["GET"])
@blp.response(200, schemas.UnlinkCheckSchema)
@login_required()
def unlink_check(unit_id, affiliation_id):
    """是否满足解除关联条件（不满足时给出原因）"""
    return service.unlink_check(kit().db, current_claims(), unit_id, affiliation_id)


@blp.route("/units/<unit_id>/employees/<affiliation_id>/unlink", methods=["POST"])
@blp.arguments(schemas.UnlinkSchema)
@blp.response(200, schemas.EmployeeSchema)
@login_required()
def unlink(data, unit_id, affiliation_id):
    """解除员工关联（须填写原因；有在办业务时不允许）"""
    return service.unlink(kit().db, kit().outbox, current_claims(), unit_id, affiliation_id,
                          data["reason"])


# --- certification from the business licence (单位认证) ---------------------------------------

@blp.route("/units/<unit_id>/certification/licence", methods=["POST"])
@blp.arguments(schemas.LicenceUploadSchema, location="files")
@blp.response(200, schemas.ReadingSchema)
@login_required()
def recognise_licence(upload, unit_id):
    """上传营业执照并识别单位名称、统一社会信用代码（识别不了时提示手动填写、人工审核）"""
    return service.recognise_licence(kit().db, current_claims(), unit_id,
                                     upload["licence"].read())


@blp.route("/units/<unit_id>/certification", methods=["POST"])
@blp.arguments(schemas.CertificationInputSchema)
@blp.response(200, schemas.CertificationSchema)
@login_required()
def submit_certification(data, unit_id):
    """提交单位认证（识别成功且未修改时自动通过，否则等待工作人员审核）；也用于重新认证"""
    return service.submit_certification(kit().db, kit().outbox, current_claims(), unit_id,
                                         data)


@blp.route("/units/<unit_id>/certification", methods=["GET"])
@blp.response(200, schemas.CertificationSchema)
@login_required()
def get_certification(unit_id):
    """单位认证状态"""
    return service.get_certification(kit().db, current_claims(), unit_id)


@blp.route("/units/<unit_id>/certification/review", methods=["POST"])
@blp.arguments(schemas.CertificationReviewSchema)
@blp.response(200, schemas.CertificationSchema)
@login_required()
def review_certification(data, unit_id):
    """审核单位认证（管理员）"""
    return service.review_certification(kit().db, kit().outbox, current_claims(), unit_id,
                                        data["decision"], data.get("reason"))


# --- business permissions (业务权限, seed 003) -------------------------------------------------

@blp.route("/units/<unit_id>/permissions/<business>", methods=["GET"])
@blp.response(200, schemas.PermissionSchema)
@login_required()
def get_permission(unit_id, business):
    """单位的业务权限（审核中 / 已开通 / 业务权限审核不通过及原因 / 修改资料待审核）"""
    return service.get_permission(kit().db, current_claims(), unit_id, business)


@blp.route("/permissions", methods=["GET"])
@blp.arguments(schemas.PermissionQuerySchema, location="query")
@blp.response(200, schemas.PermissionPageSchema)
@login_required()
def list_permissions(query):
    """本区单位的业务权限（区委人才办工作人员；可按状态筛选）"""
    return service.list_permissions(kit().db, current_claims(), query["business"],
                                    query.get("state"), query["page"], query["per_page"])


@blp.route("/me/export", methods=["GET"])
@blp.response(200, schemas.PersonalDataSchema)
@login_required()
def my_data():
    """本人在机构服务中的个人信息（单位关联、单位可见的个人信息）；完整导出见 GET /api/me/export"""
    return rights.export(kit().db, current_claims())
