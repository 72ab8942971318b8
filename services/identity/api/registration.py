"""identity API: captchas, SMS codes, registration (注册账号 → 实名认证 → 完成), 换绑 and 人工申诉."""
from flask import Response

from services.common.app import kit
from services.common.auth import current_claims, login_required
from services.common.idempotency import idempotent

from .. import schemas
from ..service import consent, registration, verification
from .common import blp, client_ip, identity
from ..model import IDEMPOTENCY


@blp.route("/captchas", methods=["POST"])
@blp.response(201, schemas.CaptchaSchema)
def new_captcha():
    """图形验证码：图片（PNG，data URI）与编号；一次有效，2 分钟过期"""
    return verification.new_captcha(kit().db, identity().config)


@blp.route("/captchas/<captcha_id>.png", methods=["GET"])
def captcha_image(captcha_id):
    """图形验证码图片"""
    return Response(verification.captcha_png(kit().db, captcha_id), mimetype="image/png",
                    headers={"Cache-Control": "no-store"})


@blp.route("/sms-codes", methods=["POST"])
@blp.arguments(schemas.SmsCodeRequestSchema)
@blp.response(201, schemas.SmsCodeSentSchema)
def send_sms_code(body):
    """获取短信验证码（先校验图形验证码；注册、短信登录、单位注册）"""
    return verification.send_sms_code(kit().db, identity().config, identity().sender, client_ip(),
                                      body.get("phone"), body["purpose"],
                                      body.get("captcha_id"), body.get("captcha_code"))


@blp.route("/me/sms-codes", methods=["POST"])
@blp.arguments(schemas.RebindSmsCodeRequestSchema)
@blp.response(201, schemas.SmsCodeSentSchema)
@login_required()
def send_my_sms_code(body):
    """换绑验证码：发往已认证该身份证号的原账号的手机号（证明控制原账号）；原账号无手机号时请人工申诉"""
    return verification.send_my_sms_code(kit().db, identity().config, identity().sender,
                                         client_ip(), current_claims(), body)


@blp.route("/dev/sms", methods=["GET"])
@blp.arguments(schemas.DevSmsQuerySchema, location="query")
@blp.response(200, schemas.DevSmsSchema)
def dev_sms(query):
    """开发环境：开发短信发送器“发出”的短信（配置了短信网关时不存在）"""
    return {"messages": verification.dev_messages(kit().db, identity().sender, query["phone"])}


@blp.route("/registrations", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.RegistrationSchema)
@blp.response(201, schemas.RegisteredSchema)
def register(body):
    """注册账号（第一步）：用户名、手机号、短信验证码、密码（两次）、同意用户协议"""
    return registration.register(kit().db, kit().outbox, kit().settings, identity().config, body)


@blp.route("/me/registration", methods=["GET"])
@blp.response(200, schemas.RegistrationStepSchema)
@login_required()
def registration_status():
    """注册完成页：认证成功 / 注册成功"""
    return registration.registration_status(kit().db, current_claims())


@blp.route("/consents/<purpose>", methods=["GET"])
@blp.response(200, schemas.ConsentNoticeSchema)
@login_required()
def consent_notice(purpose):
    """单独同意的告知内容（如 id-number：实名认证时处理身份证号码），页面照此显示"""
    return consent.notice(purpose)


@blp.route("/me/real-name", methods=["POST"])
@blp.arguments(schemas.IdNumberConsentSchema)
@blp.response(200, schemas.RegistrationStepSchema)
@login_required()
def verify_real_name(body):
    """实名认证（第二步，或以后在个人中心）：姓名 + 身份证号 + 单独同意处理身份证号"""
    return registration.verify_real_name(kit().db, kit().outbox, identity().name_matches,
                                         client_ip(), current_claims(), body)


@blp.route("/me/real-name/skip", methods=["POST"])
@blp.response(200, schemas.RegistrationStepSchema)
@login_required()
def skip_real_name():
    """暂不认证"""
    return registration.skip_real_name(kit().db, current_claims())


@blp.route("/me/real-name/rebind", methods=["POST"])
@blp.arguments(schemas.RebindSchema)
@blp.response(200, schemas.RegistrationStepSchema)
@login_required()
def rebind(body):
    """换绑：身份证号已被其他账号认证时，凭发往原账号手机号的验证码改绑到本账号（原账号收到短信和提示）"""
    return registration.rebind(kit().db, kit().outbox, identity().config, identity().sender,
                               current_claims(), body)


@blp.route("/me/appeals", methods=["POST"])
@idempotent(IDEMPOTENCY)
@blp.arguments(schemas.AppealRequestSchema)
@blp.response(201, schemas.AppealSchema)
@login_required()
def file_appeal(body):
    """人工申诉：身份证号已被其他账号认证"""
    return registration.file_appeal(kit().db, kit().outbox, identity().sender, current_claims(),
                                    body)


@blp.route("/me/appeals", methods=["GET"])
@blp.response(200, schemas.AppealSchema(many=True))
@login_required()
def my_appeals():
    """本人的申诉及结果"""
    return registration.my_appeals(kit().db, current_claims())
