"""identity API, for admins: the list of staff accounts (the console's 工作人员 page)."""
from marshmallow import fields, validate

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.schemas import PageQuerySchema, Schema, page_of

from ..service.staff_list import list_staff
from .common import blp


class StaffQuerySchema(PageQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=40),
                      metadata={"description": "用户名或姓名（包含）"})
    role = fields.String(load_default=None, validate=validate.Length(max=30),
                         metadata={"description": "持有的角色"})


class StaffSummarySchema(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    org_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    phone = fields.String(allow_none=True, metadata={"description": "脱敏"})
    totp = fields.String(metadata={"description": "身份验证器：enrolled 已绑定；pending 绑定中；"
                                   "none 未绑定（首次登录时扫码）"})
    created_at = fields.DateTime()


@blp.route("/staff-accounts", methods=["GET"])
@blp.arguments(StaffQuerySchema, location="query")
@blp.response(200, page_of(StaffSummarySchema))
@login_required()
def staff_accounts(query):
    """工作人员列表（管理员）：角色、手机号（脱敏）、是否已绑定身份验证器"""
    return list_staff(kit().db, current_claims(), query.get("q"), query.get("role"),
                      query["page"], query["per_page"])
