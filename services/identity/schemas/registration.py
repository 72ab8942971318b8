"""identity's registration schemas: captchas and SMS codes, registering, real-name
verification and its consent, rebinding, appeals (api/registration.py)."""
from marshmallow import fields, validate

from services.common.schemas import Schema

from .base import text
from .signin import TokenPairSchema


class CaptchaSchema(Schema):
    captcha_id = fields.String()
    image = fields.String(metadata={"description": "data:image/png;base64,..."})
    expires_in = fields.Integer()


class SmsCodeRequestSchema(Schema):
    phone = text("手机号", 20)
    purpose = fields.String(load_default="register",
                            metadata={"description": "register | login | rebind | unit_register"})
    captcha_id = text("图形验证码编号", 36)
    captcha_code = text("图形验证码", 10)


class RebindSmsCodeRequestSchema(SmsCodeRequestSchema):
    name = text("姓名（原认证账号的实名）", 30)
    id_number = text("要换绑的身份证号", 30)


class SmsCodeSentSchema(Schema):
    sent = fields.Boolean()
    expires_in = fields.Integer()
    resend_after = fields.Integer()
    phone = fields.String(metadata={"description": "换绑：验证码发往的原认证账号手机号（脱敏）"})


class DevSmsQuerySchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=20))


class DevSmsMessageSchema(Schema):
    phone = fields.String(required=True, metadata={"description": "收信手机号（脱敏）"})
    text = fields.String(required=True)
    sent_at = fields.DateTime(required=True)


class DevSmsSchema(Schema):
    messages = fields.List(fields.Nested(DevSmsMessageSchema), required=True,
                           metadata={"description": "最近 20 条，新的在前"})


class RegistrationSchema(Schema):
    username = text("用户名：6-20 个字符，第一位必须是字母，支持字母、数字组合", 40)
    phone = text("手机号", 20)
    sms_code = text("短信验证码", 10)
    password = text("密码：6-20 个字符，由字母或字母和数字组成", 100, load_only=True)
    password_confirm = text("再次输入密码", 100, load_only=True)
    agree = fields.Boolean(allow_none=True,
                           metadata={"description": "我已阅读并同意《用户协议》"})


class RegisteredSchema(Schema):
    account_id = fields.String()
    step = fields.String()
    message = fields.String()
    tokens = fields.Nested(TokenPairSchema)


class RealNameSchema(Schema):
    name = text("姓名", 60)
    id_number = text("18 位居民身份证号", 30)


class IdNumberConsentSchema(RealNameSchema):
    consent = fields.Boolean(allow_none=True, metadata={
        "description": "同意《个人敏感信息处理告知》（GET /consents/id-number 的内容）；必须为 true"})
    consent_version = text("所同意告知的版本（缺省为当前版本）", 20)


class ConsentNoticeSchema(Schema):
    purpose = fields.String()
    version = fields.String()
    title = fields.String()
    text = fields.String()


class RebindSchema(RealNameSchema):
    sms_code = text("发到原认证账号手机号的短信验证码（用途 rebind）", 10)


class RegistrationStepSchema(Schema):
    step = fields.String()
    verified = fields.Boolean()
    message = fields.String()


class AppealRequestSchema(RealNameSchema):
    reason = text("申诉理由", 1000)
    evidence_file_id = text("证明材料（files 服务中的附件编号）", 36)


class AppealSchema(Schema):
    id = fields.String()
    account_id = fields.String()
    name = fields.String()
    id_number = fields.String()
    reason = fields.String()
    evidence_file_id = fields.String()
    status = fields.String(metadata={"description": "pending | approved | rejected"})
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)
