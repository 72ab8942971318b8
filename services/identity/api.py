from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required

from . import schemas, service

blp = Blueprint("identity", __name__, description="账号、登录与令牌")


@blp.route("/tokens", methods=["POST"])
@blp.arguments(schemas.PasswordLoginSchema)
@blp.response(201, schemas.TokenPairSchema)
def password_login(body):
    """账号密码登录"""
    return service.login_with_password(kit().db, kit().settings, body["username"], body["password"])


@blp.route("/tokens/refresh", methods=["POST"])
@blp.arguments(schemas.RefreshSchema)
@blp.response(201, schemas.TokenPairSchema)
def refresh(body):
    """用刷新令牌换取新令牌（刷新令牌每次使用后轮换）"""
    return service.refresh_tokens(kit().db, kit().settings, body["refresh_token"])


@blp.route("/.well-known/jwks.json", methods=["GET"])
def jwks():
    """签发访问令牌所用的公钥"""
    return service.jwks(kit().db)


@blp.route("/me", methods=["GET"])
@blp.response(200, schemas.AccountSchema)
@login_required()
def me():
    """当前登录账号"""
    return service.get_account(kit().db, current_claims().sub)


@blp.route("/me/records", methods=["GET"])
@blp.response(200, schemas.BusinessRecordSchema(many=True))
@login_required()
def my_records():
    """本人已办结的业务"""
    return service.business_records(kit().db, current_claims().sub)
