"""技能竞赛报名's own pages: competition plans, 个人身份信息确认, 个人基本信息, 报名, 已报名竞赛管理."""
from flask_smorest import Blueprint

from services.common.app import kit as _k
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent
from services.common.schemas import PageQuerySchema

from ...model import IDEMPOTENCY
from . import profile, schemas, service

contest = Blueprint("workflow-competitions", __name__,
                    description="技能竞赛报名：竞赛计划、个人身份信息确认、个人基本信息、报名、已报名竞赛管理")


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
    return profile.competitor(_k().db, current_claims())


@contest.route("/me/competitor/confirmation", methods=["POST"])
@contest.arguments(schemas.ConfirmIdentitySchema)
@contest.response(201, schemas.CompetitorSchema)
@login_required()
def confirm_competitor(body):
    """个人身份信息确认（首次进入竞赛系统）：姓名和证件号码须与实名认证一致"""
    return profile.confirm_identity(_k().db, current_claims(), body["name"], body["id_number"])


@contest.route("/me/competitor", methods=["PUT"])
@contest.arguments(schemas.CompetitorBodySchema)
@contest.response(200, schemas.CompetitorSchema)
@login_required()
def save_competitor(body):
    """保存个人基本信息（套用到以后的每一次报名）"""
    return profile.save_competitor(_k().db, current_claims(), body)


@contest.route("/me/competitor/photo", methods=["PUT"])
@contest.arguments(schemas.PhotoSchema)
@contest.response(200, schemas.CompetitorSchema)
@login_required()
def set_competitor_photo(body):
    """保存照片：上传并裁切（附件服务）后的个人证件照片"""
    return profile.set_competitor_photo(_k().db, current_claims(), body["file_id"])


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
