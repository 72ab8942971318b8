"""The portal: service catalogue, in progress, certificates, notices, prompts, the personal-data export."""
from services.common.auth import current_claims, login_required
from services.common.schemas import PageQuerySchema

from .. import schemas, service
from ..service import rights
from .blueprints import kit as _k, portal


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
@portal.arguments(PageQuerySchema(), location="query")
@portal.response(200, schemas.NoticePageSchema)
@login_required()
def notices(query):
    """通知公告（查看更多）"""
    return service.notices(_k().db, query["page"], query["per_page"])


@portal.route("/prompts", methods=["GET"])
@portal.arguments(PageQuerySchema(), location="query")
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


@portal.route("/me/export", methods=["GET"])
@portal.response(200, schemas.PersonalDataSchema)
@login_required()
def my_data():
    """本人的业务申请及办理记录、竞赛报名、提示等；完整导出见 GET /api/me/export"""
    return rights.export(_k().db, current_claims())
