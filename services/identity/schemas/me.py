"""identity's schemas of one's own account: the account, profile, recovery codes, personal
data, closure and one's audit trail (api/me.py)."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of

from .base import text


class AccountSchema(Schema):
    id = fields.String()
    username = fields.String()
    kind = fields.String()
    display_name = fields.String()
    org_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    phone = fields.String(allow_none=True, metadata={"description": "本人可见完整号码，其他人脱敏"})
    real_name = fields.String(allow_none=True)
    id_type = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "本人可见完整号码，其他人脱敏"})
    verified = fields.Boolean()
    profile_complete = fields.Boolean(metadata={"description": "为 false 时显示“完善个人信息”提示"})
    totp_enabled = fields.Boolean()
    created_at = fields.DateTime()


class BasicInfoSchema(Schema):
    name = fields.String()
    phone = fields.String(allow_none=True)
    id_type = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "脱敏"})
    verified = fields.Boolean()
    profile_complete = fields.Boolean()


class RecoveryCodesRequestSchema(Schema):
    totp_code = text("身份验证器中的动态验证码", 10)


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "只显示这一次"})


class PersonalDataSchema(Schema):
    """One service's part of GET /me/export: {table: [rows]}, rows as stored (whole)."""

    class Meta:
        unknown = "include"

    account = fields.Dict()
    profile = fields.List(fields.Dict())
    consents = fields.List(fields.Dict())
    external_identities = fields.List(fields.Dict())
    appeals = fields.List(fields.Dict())
    business_records = fields.List(fields.Dict())
    sessions = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())


class ClosureSchema(Schema):
    password = fields.String(allow_none=True, load_only=True,
                             validate=validate.Length(max=100),
                             metadata={"description": "登录密码（确认是本人操作）"})
    confirm = fields.Boolean(allow_none=True, metadata={
        "description": "已了解：注销后无法登录，个人信息删除，业务记录保留（姓名脱敏）"})


class ClosedSchema(Schema):
    closed = fields.Boolean()
    message = fields.String()


class AuditQuerySchema(PageQuerySchema):
    account_id = fields.String(validate=validate.Length(max=36))
    action = fields.String(validate=validate.Length(max=40))


class AuditEventSchema(Schema):
    id = fields.String()
    at = fields.DateTime()
    action = fields.String()
    account_id = fields.String(allow_none=True)
    actor_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    detail = fields.Dict()


class ProfileBodySchema(Schema):
    general = fields.Raw(metadata={"description": "一般信息：gender、ethnicity、political_status、"
                                                  "email、address，可选 title、hukou"})
    education = fields.Raw(metadata={
        "description": "教育信息：[{level, degree, school, major, graduated}]"})
    study_history = fields.Raw(metadata={"description": "学习经历：[{from, to, school, major}]"})
    work_history = fields.Raw(metadata={"description": "工作经历：[{from, to?, employer, position}]"})
    photo_file_id = fields.Raw(metadata={"description": "证件照片（files 服务中的附件编号）"})


class ProfileSchema(Schema):
    basic = fields.Dict()
    general = fields.Dict()
    education = fields.List(fields.Dict())
    study_history = fields.List(fields.Dict())
    work_history = fields.List(fields.Dict())
    photo_file_id = fields.String(allow_none=True)
    complete = fields.Boolean()
    submitted_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class ProfilePreviewSchema(ProfileSchema):
    ready = fields.Boolean()
    missing = fields.Dict()


class PasswordChangeSchema(Schema):
    old_password = text("原密码（通过短信注册、尚未设置密码的单位账号不填）", 100, load_only=True)
    new_password = text("新密码：6-20 个字符，由字母或字母和数字组成", 100, load_only=True)
    new_password_confirm = text("再次输入新密码", 100, load_only=True)


class ExternalIdentitySchema(Schema):
    provider = fields.String()
    linked_at = fields.DateTime()


class BusinessRecordSchema(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    title = fields.String()
    outcome = fields.String()
    completed_at = fields.DateTime()


AuditPageSchema = page_of(AuditEventSchema)
