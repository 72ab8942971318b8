"""identity's sign-in schemas: password, SMS, QR, unit phone and certificate sign-in, OIDC,
tokens and the public keys (api/signin.py)."""
from marshmallow import fields, validate

from services.common.schemas import Schema

from .base import text


class PasswordLoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "用户名、手机号或身份证号"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             load_only=True, metadata={"description": "密码"})
    captcha_id = text("图形验证码编号（失败过之后必填）", 36)
    captcha_code = text("图形验证码", 10)
    totp_code = text("动态验证码（工作人员账号必填；首次登录时为刚绑定的身份验证器中的验证码）", 10)
    recovery_code = text("恢复码（工作人员丢失身份验证器时代替动态验证码，每个只能用一次）", 20)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    recovery_codes = fields.List(fields.String(), metadata={
        "description": "工作人员绑定身份验证器时的恢复码：只显示这一次，请妥善保存"})


class SmsLoginSchema(Schema):
    phone = text("手机号", 20)
    sms_code = text("短信验证码", 10)


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


class LogoutSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


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
    phone = text("单位经办人手机号", 20)
    sms_code = text("短信验证码（用途 unit_register）", 10)


class UnitPhoneSessionResultSchema(Schema):
    registered = fields.Boolean(metadata={"description": "true：新注册的单位账号"})
    certified = fields.Boolean(metadata={"description": "是否已完成单位认证"})
    tokens = fields.Nested(TokenPairSchema)


class CertChallengeSchema(Schema):
    challenge_id = fields.String()
    nonce = fields.String()
    expires_in = fields.Integer()
    algorithm = fields.String()


class CertificateLoginSchema(Schema):
    challenge_id = text("登录挑战编号", 36)
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
    state = text("回调中的 state", 100)
    code = text("回调中的 code", 2000)


class OidcResultSchema(Schema):
    linked = fields.Boolean()
    provider = fields.String()
    tokens = fields.Nested(TokenPairSchema)
