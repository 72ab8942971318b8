"""identity's administrators' schemas: staff accounts, TOTP resets, key rotation, the
appeals queue (api/admin.py)."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of

from .base import text
from .me import AccountSchema
from .registration import AppealSchema


class AppealQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


class StaffAccountRequestSchema(Schema):
    username = text("用户名", 40)
    display_name = text("姓名", 100)
    password = text("初始密码", 100, load_only=True)
    org_id = text("所属机构（orgs 中的编号）", 36)
    roles = fields.List(fields.String(validate=validate.Length(max=30)), allow_none=True)


class StaffAccountCreatedSchema(Schema):
    account = fields.Nested(AccountSchema)
    message = fields.String(metadata={"description": "首次登录时本人绑定身份验证器"})


class TotpResetSchema(Schema):
    account_id = fields.String()
    totp_enabled = fields.Boolean()
    message = fields.String()


class KeyRotatedSchema(Schema):
    kid = fields.String()


AppealPageSchema = page_of(AppealSchema)
