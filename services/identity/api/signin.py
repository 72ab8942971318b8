"""identity API: every way in (password, SMS, QR code, unit phone, certificate, OIDC),
tokens, JWKS."""

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from .. import schemas
from ..service import logins, oidc, qr, tokens, units
from .common import blp, client_ip, identity, pair
from ..model import IDEMPOTENCY


@blp.route("/tokens", methods=["POST"])
@blp.arguments(schemas.PasswordLoginSchema)
@blp.response(201, schemas.TokenPairSchema)
def password_login(body):
    """账号登录：用户名/手机号/身份证号 + 密码 + 图形验证码（+ 工作人员的动态验证码或恢复码；
    工作人员首次登录返回 401 totp-enrolment-required 与绑定二维码）"""
    return pair(logins.login_with_password(kit().db, kit().settings, identity().config,
                                           client_ip(), body["username"], body["password"],
                                            body.get("captcha_id"), body.get("captcha_code"),
                                            body.get("totp_code"), body.get("recovery_code")))


@blp.route("/tokens/sms", methods=["POST"])
@blp.arguments(schemas.SmsLoginSchema)
@blp.response(201, schemas.TokenPairSchema)
def sms_login(body):
    """短信登录：手机号 + 短信验证码（用途 login）"""
    return pair(logins.login_with_sms(kit().db, kit().settings, identity().config, client_ip(),
                                      body.get("phone"), body.get("sms_code")))


@blp.route("/tokens/refresh", methods=["POST"])
@blp.arguments(schemas.RefreshSchema)
@blp.response(201, schemas.TokenPairSchema)
def refresh(body):
    """用刷新令牌换取新令牌（刷新令牌每次使用后轮换）"""
    return pair(tokens.refresh_tokens(kit().db, kit().outbox, kit().settings,
                                      body["refresh_token"]))


@blp.route("/tokens/revoke", methods=["POST"])
@blp.arguments(schemas.LogoutSchema)
@blp.response(204)
@login_required()
def logout(body):
    """退出登录：这次登录的刷新令牌（整个轮换链）及其访问令牌立即作废"""
    logins.logout(kit().db, kit().outbox, current_claims(), body["refresh_token"])


@blp.route("/qr-logins", methods=["POST"])
@blp.response(201, schemas.QrCreatedSchema)
def new_qr_login():
    """扫码登录（PC）：二维码内容与轮询令牌"""
    return qr.create(kit().db, identity().config)


@blp.route("/qr-logins/poll", methods=["POST"])
@blp.arguments(schemas.QrPollSchema)
@blp.response(200, schemas.QrStateSchema)
def poll_qr_login(body):
    """扫码登录（PC）：查询状态；确认授权后返回一次令牌"""
    return qr.poll(kit().db, kit().settings, body["poll_token"])


@blp.route("/qr-logins/<qr_id>/scan", methods=["POST"])
@blp.response(200, schemas.QrStateSchema)
@login_required()
def scan_qr_login(qr_id):
    """扫码登录（APP）：扫描二维码"""
    return qr.scan(kit().db, current_claims(), qr_id)


@blp.route("/qr-logins/<qr_id>/confirm", methods=["POST"])
@blp.arguments(schemas.QrConfirmSchema)
@blp.response(200, schemas.QrStateSchema)
@login_required()
def confirm_qr_login(body, qr_id):
    """扫码登录（APP）：确认授权（approve=false 为取消）"""
    return qr.confirm(kit().db, current_claims(), qr_id, body["approve"])


@blp.route("/units/phone-sessions", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.UnitPhoneSessionSchema)
@blp.response(201, schemas.UnitPhoneSessionResultSchema)
def unit_phone_session(body):
    """单位注册或登录：手机号 + 图形验证码 + 短信验证码（用途 unit_register）"""
    return units.phone_session(kit().db, kit().outbox, kit().settings, identity().config,
                               client_ip(), body.get("phone"), body.get("sms_code"))


@blp.route("/cert-challenges", methods=["POST"])
@blp.response(201, schemas.CertChallengeSchema)
def cert_challenge():
    """证书登录（USBKey）：获取待签名的 nonce"""
    return units.new_challenge(kit().db, identity().config)


@blp.route("/tokens/certificate", methods=["POST"])
@blp.arguments(schemas.CertificateLoginSchema)
@blp.response(201, schemas.TokenPairSchema)
def certificate_login(body):
    """证书登录（USBKey）：证书 + 对 nonce 的签名"""
    return pair(units.login_with_certificate(kit().db, kit().settings, identity().config,
                                             client_ip(), body))


@blp.route("/oidc/providers", methods=["GET"])
@blp.response(200, schemas.OidcProviderSchema(many=True))
def oidc_providers():
    """可用的第三方登录方式"""
    return oidc.providers(identity().config)


@blp.route("/oidc/<provider>/authorize", methods=["POST"])
@blp.response(201, schemas.OidcAuthorizeSchema)
def oidc_authorize(provider):
    """第三方登录：获取第三方平台的授权地址"""
    return oidc.authorize(kit().db, identity().config, provider)


@blp.route("/me/oidc/<provider>/authorize", methods=["POST"])
@blp.response(201, schemas.OidcAuthorizeSchema)
@login_required()
def oidc_link(provider):
    """个人中心：关联第三方账号（授权后回调即完成关联）"""
    return oidc.authorize(kit().db, identity().config, provider,
                          link_account_id=current_claims().sub)


@blp.route("/oidc/<provider>/callback", methods=["POST"])
@blp.arguments(schemas.OidcCallbackSchema)
@blp.response(200, schemas.OidcResultSchema)
def oidc_callback(body, provider):
    """第三方授权回调：已关联则登录；从个人中心发起则完成关联"""
    return oidc.callback(kit().db, kit().settings, identity().config, provider, body)


@blp.route("/.well-known/jwks.json", methods=["GET"])
@blp.response(200, schemas.JwksSchema)
def jwks():
    """签发访问令牌所用的公钥（轮换期间为两把）"""
    return tokens.jwks(kit().db)
