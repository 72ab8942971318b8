"""identity's request and response schemas. Request fields are mostly optional here: the
use cases check each rule themselves, so that every broken rule gets its own message."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of


def _text(description: str, max_length: int = 200, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), allow_none=True,
                         metadata={"description": description}, **kwargs)


class PasswordLoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "用户名、手机号或身份证号"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             load_only=True, metadata={"description": "密码"})
    captcha_id = _text("图形验证码编号（失败过之后必填）", 36)
    captcha_code = _text("图形验证码", 10)
    totp_code = _text("动态验证码（工作人员账号必填；首次登录时为刚绑定的身份验证器中的验证码）", 10)
    recovery_code = _text("恢复码（工作人员丢失身份验证器时代替动态验证码，每个只能用一次）", 20)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    recovery_codes = fields.List(fields.String(), metadata={
        "description": "工作人员绑定身份验证器时的恢复码：只显示这一次，请妥善保存"})


class CaptchaSchema(Schema):
    captcha_id = fields.String()
    image = fields.String(metadata={"description": "data:image/png;base64,..."})
    expires_in = fields.Integer()


class SmsCodeRequestSchema(Schema):
    phone = _text("手机号", 20)
    purpose = fields.String(load_default="register",
                            metadata={"description": "register | login | rebind | unit_register"})
    captcha_id = _text("图形验证码编号", 36)
    captcha_code = _text("图形验证码", 10)


class RebindSmsCodeRequestSchema(SmsCodeRequestSchema):
    name = _text("姓名（原认证账号的实名）", 30)
    id_number = _text("要换绑的身份证号", 30)


class SmsCodeSentSchema(Schema):
    sent = fields.Boolean()
    expires_in = fields.Integer()
    resend_after = fields.Integer()
    phone = fields.String(metadata={"description": "换绑：验证码发往的原认证账号手机号（脱敏）"})


class SmsLoginSchema(Schema):
    phone = _text("手机号", 20)
    sms_code = _text("短信验证码", 10)


class DevSmsQuerySchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=20))


class DevSmsMessageSchema(Schema):
    phone = fields.String(required=True, metadata={"description": "收信手机号（脱敏）"})
    text = fields.String(required=True)
    sent_at = fields.DateTime(required=True)


class DevSmsSchema(Schema):
    messages = fields.List(fields.Nested(DevSmsMessageSchema), required=True,
                           metadata={"description": "最近 20 条，新的在前"})


class JwkSchema(Schema):
    """An RSA public key (RFC 7517), as tokens.jwks publishes it."""

    kty = fields.String(required=True)
    kid = fields.String(required=True)
    alg = fields.String()
    use = fields.String()
    key_ops = fields.List(fields.String())
    n = fields.String(required=True)
    e = fields.String(required=True)


class JwksSchema(Schema):
    keys = fields.List(fields.Nested(JwkSchema), required=True)


class RegistrationSchema(Schema):
    username = _text("用户名：6-20 个字符，第一位必须是字母，支持字母、数字组合", 40)
    phone = _text("手机号", 20)
    sms_code = _text("短信验证码", 10)
    password = _text("密码：6-20 个字符，由字母或字母和数字组成", 100, load_only=True)
    password_confirm = _text("再次输入密码", 100, load_only=True)
    agree = fields.Boolean(allow_none=True,
                           metadata={"description": "我已阅读并同意《用户协议》"})


class RegisteredSchema(Schema):
    account_id = fields.String()
    step = fields.String()
    message = fields.String()
    tokens = fields.Nested(TokenPairSchema)


class RealNameSchema(Schema):
    name = _text("姓名", 60)
    id_number = _text("18 位居民身份证号", 30)


class IdNumberConsentSchema(RealNameSchema):
    consent = fields.Boolean(allow_none=True, metadata={
        "description": "同意《个人敏感信息处理告知》（GET /consents/id-number 的内容）；必须为 true"})
    consent_version = _text("所同意告知的版本（缺省为当前版本）", 20)


class ConsentNoticeSchema(Schema):
    purpose = fields.String()
    version = fields.String()
    title = fields.String()
    text = fields.String()


class RebindSchema(RealNameSchema):
    sms_code = _text("发到原认证账号手机号的短信验证码（用途 rebind）", 10)


class RegistrationStepSchema(Schema):
    step = fields.String()
    verified = fields.Boolean()
    message = fields.String()


class AppealRequestSchema(RealNameSchema):
    reason = _text("申诉理由", 1000)
    evidence_file_id = _text("证明材料（files 服务中的附件编号）", 36)


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


class AppealQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


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


class StaffAccountRequestSchema(Schema):
    username = _text("用户名", 40)
    display_name = _text("姓名", 100)
    password = _text("初始密码", 100, load_only=True)
    org_id = _text("所属机构（orgs 中的编号）", 36)
    roles = fields.List(fields.String(validate=validate.Length(max=30)), allow_none=True)


class StaffAccountCreatedSchema(Schema):
    account = fields.Nested(AccountSchema)
    message = fields.String(metadata={"description": "首次登录时本人绑定身份验证器"})


class TotpResetSchema(Schema):
    account_id = fields.String()
    totp_enabled = fields.Boolean()
    message = fields.String()


class RecoveryCodesRequestSchema(Schema):
    totp_code = _text("身份验证器中的动态验证码", 10)


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "只显示这一次"})


class LogoutSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RevokedTokenSchema(Schema):
    jti = fields.String()
    exp = fields.Integer(metadata={"description": "令牌本应到期的时间（Unix 秒）"})


class RevocationsSchema(Schema):
    revoked = fields.List(fields.Nested(RevokedTokenSchema))


class RevocationStateSchema(Schema):
    jti = fields.String()
    revoked = fields.Boolean()


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


class KeyRotatedSchema(Schema):
    kid = fields.String()


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


class QrCreatedSchema(Schema):
    qr_id = fields.String()
    qr_content = fields.String()
    poll_token = fields.String()
    expires_in = fields.Integer()
    status = fields.String()
    message = fields.String()


class QrPollSchema(Schema):
    poll_token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class QrConfirmSchema(Schema):
    approve = fields.Boolean(load_default=True)


class QrStateSchema(Schema):
    status = fields.String(metadata={"description": "pending | scanned | confirmed | cancelled"})
    message = fields.String()
    account = fields.String()
    tokens = fields.Nested(TokenPairSchema)


class UnitPhoneSessionSchema(Schema):
    phone = _text("单位经办人手机号", 20)
    sms_code = _text("短信验证码（用途 unit_register）", 10)


class UnitPhoneSessionResultSchema(Schema):
    registered = fields.Boolean(metadata={"description": "true：新注册的单位账号"})
    certified = fields.Boolean(metadata={"description": "是否已完成单位认证"})
    tokens = fields.Nested(TokenPairSchema)


class PasswordChangeSchema(Schema):
    old_password = _text("原密码（通过短信注册、尚未设置密码的单位账号不填）", 100, load_only=True)
    new_password = _text("新密码：6-20 个字符，由字母或字母和数字组成", 100, load_only=True)
    new_password_confirm = _text("再次输入新密码", 100, load_only=True)


class CertChallengeSchema(Schema):
    challenge_id = fields.String()
    nonce = fields.String()
    expires_in = fields.Integer()
    algorithm = fields.String()


class CertificateLoginSchema(Schema):
    challenge_id = _text("登录挑战编号", 36)
    certificate = fields.String(allow_none=True, validate=validate.Length(max=20000),
                                metadata={"description": "单位证书（PEM）"})
    chain = fields.List(fields.String(validate=validate.Length(max=20000)), allow_none=True,
                        validate=validate.Length(max=5),
                        metadata={"description": "中间证书（PEM），可选"})
    signature = fields.String(allow_none=True, validate=validate.Length(max=2000),
                              metadata={"description": "用证书私钥对 nonce 的签名（Base64）"})


class OidcProviderSchema(Schema):
    name = fields.String()
    title = fields.String()


class OidcAuthorizeSchema(Schema):
    authorization_url = fields.String(metadata={"description": "把浏览器带到这里"})
    state = fields.String()


class OidcCallbackSchema(Schema):
    state = _text("回调中的 state", 100)
    code = _text("回调中的 code", 2000)


class OidcResultSchema(Schema):
    linked = fields.Boolean()
    provider = fields.String()
    tokens = fields.Nested(TokenPairSchema)


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
AppealPageSchema = page_of(AppealSchema)
