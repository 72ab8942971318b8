"""identity API: who I am: the account, the basic-info panel, the profile (个人信息完善), my records."""

from services.common.app import kit
from services.common.auth import current_claims, login_required

from .. import schemas
from ..service import accounts, oidc, profile, rights, second_factor, units
from .common import blp


@blp.route("/me/password", methods=["POST"])
@blp.arguments(schemas.PasswordChangeSchema)
@blp.response(204)
@login_required()
def change_password(body):
    """修改密码（短信注册的单位账号首次设置密码）"""
    units.set_password(kit().db, current_claims(), body)


@blp.route("/me/recovery-codes", methods=["POST"])
@blp.arguments(schemas.RecoveryCodesRequestSchema)
@blp.response(201, schemas.RecoveryCodesSchema)
@login_required()
def renew_recovery_codes(body):
    """工作人员重新生成恢复码（凭动态验证码；旧恢复码作废）"""
    return second_factor.new_recovery_codes(kit().db, current_claims(), body.get("totp_code"))


@blp.route("/me/external-identities", methods=["GET"])
@blp.response(200, schemas.ExternalIdentitySchema(many=True))
@login_required()
def my_external_identities():
    """本账号关联的第三方账号"""
    return oidc.my_links(kit().db, current_claims())


@blp.route("/me", methods=["GET"])
@blp.response(200, schemas.AccountSchema)
@login_required()
def me():
    """当前登录账号（本人可见完整手机号和身份证号）"""
    return accounts.me(kit().db, current_claims().sub)


@blp.route("/me/basic", methods=["GET"])
@blp.response(200, schemas.BasicInfoSchema)
@login_required()
def basic_info():
    """个人基础信息：姓名、联系电话、证件类型、证件号码（脱敏）"""
    return accounts.basic_info(kit().db, current_claims().sub)


@blp.route("/me/profile", methods=["GET"])
@blp.response(200, schemas.ProfileSchema)
@login_required()
def get_profile():
    """个人完整信息"""
    return profile.get_profile(kit().db, current_claims())


@blp.route("/me/profile", methods=["PUT"])
@blp.arguments(schemas.ProfileBodySchema)
@blp.response(200, schemas.ProfileSchema)
@login_required()
def save_profile(body):
    """保存个人信息（一般信息、教育信息、学习经历、工作经历、证件照片；可分步保存）"""
    return profile.save_profile(kit().db, current_claims(), body)


@blp.route("/me/profile/preview", methods=["GET"])
@blp.response(200, schemas.ProfilePreviewSchema)
@login_required()
def preview_profile():
    """预览：所填信息与尚缺的部分"""
    return profile.preview(kit().db, current_claims())


@blp.route("/me/profile/submit", methods=["POST"])
@blp.response(200, schemas.ProfileSchema)
@login_required()
def submit_profile():
    """提交个人信息（完善个人信息完成；以后修改也由此提交）"""
    return profile.submit(kit().db, kit().outbox, current_claims())


@blp.route("/me/audit", methods=["GET"])
@blp.arguments(schemas.AuditQuerySchema, location="query")
@blp.response(200, schemas.AuditPageSchema)
@login_required()
def my_audit(query):
    """本人的登录与安全记录"""
    claims = current_claims()
    return accounts.audit_log(kit().db, claims, claims.sub, query.get("action"),
                              query["page"], query["per_page"])


@blp.route("/me/records", methods=["GET"])
@blp.response(200, schemas.BusinessRecordSchema(many=True))
@login_required()
def my_records():
    """本人已办结的业务"""
    return accounts.business_records(kit().db, current_claims().sub)


@blp.route("/me/export", methods=["GET"])
@blp.response(200, schemas.PersonalDataSchema)
@login_required()
def my_data():
    """本人在身份服务中的全部个人信息（账号、个人信息、同意记录、申诉、办结记录、会话、审计）。
    完整导出（各服务合并的 ZIP）见网关 GET /api/me/export"""
    return rights.export(kit().db, current_claims())


@blp.route("/me/closure", methods=["POST"])
@blp.arguments(schemas.ClosureSchema)
@blp.response(200, schemas.ClosedSchema)
@login_required()
def close_account(body):
    """注销账号（个人）：输入密码确认；个人信息删除或匿名化，业务记录保留（姓名脱敏），
    所有登录立即失效，其他服务随后处理各自的数据"""
    return rights.close(kit().db, kit().outbox, current_claims(), body)
