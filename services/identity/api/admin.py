"""identity API, for admins: staff accounts (and resetting their authenticator), appeals
review, accounts (masked), audit log, key rotation."""

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from .. import schemas
from ..service import accounts, registration, second_factor
from .common import blp
from ..model import IDEMPOTENCY


@blp.route("/appeals", methods=["GET"])
@blp.arguments(schemas.AppealQuerySchema, location="query")
@blp.response(200, schemas.AppealPageSchema)
@login_required()
def list_appeals(query):
    """申诉列表（管理员）。审核在流程“实名认证人工申诉”中办理（管理员的待办任务）"""
    return registration.list_appeals(kit().db, current_claims(), query.get("status"),
                                     query["page"], query["per_page"])


@blp.route("/keys/rotate", methods=["POST"])
@blp.response(201, schemas.KeyRotatedSchema)
@login_required()
def rotate_keys():
    """轮换签名密钥（管理员）：新密钥签发，旧密钥仍发布以验证未过期的令牌"""
    return accounts.rotate_keys(kit().db, current_claims())


@blp.route("/staff-accounts", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.StaffAccountRequestSchema)
@blp.response(201, schemas.StaffAccountCreatedSchema)
@login_required()
def create_staff(body):
    """创建审核员、专家、管理员账号（管理员）；本人首次登录时绑定身份验证器"""
    return accounts.create_staff(kit().db, kit().outbox, current_claims(), body)


@blp.route("/staff-accounts/<account_id>/totp-reset", methods=["POST"])
@blp.response(200, schemas.TotpResetSchema)
@login_required()
def reset_totp(account_id):
    """重置工作人员的身份验证器（管理员；如手机丢失）：恢复码作废、登录全部退出，下次登录重新绑定"""
    return second_factor.reset(kit().db, kit().outbox, current_claims(), account_id)


@blp.route("/accounts/<account_id>", methods=["GET"])
@blp.response(200, schemas.AccountSchema)
@login_required()
def account(account_id):
    """查看账号（工作人员；手机号、身份证号脱敏）"""
    return accounts.staff_view_of(kit().db, current_claims(), account_id)


@blp.route("/audit", methods=["GET"])
@blp.arguments(schemas.AuditQuerySchema, location="query")
@blp.response(200, schemas.AuditPageSchema)
@login_required()
def audit_log(query):
    """审计日志（管理员）：登录、失败、锁定、换绑、申诉、密钥轮换"""
    return accounts.audit_log(kit().db, current_claims(), query.get("account_id"),
                              query.get("action"), query["page"], query["per_page"])
