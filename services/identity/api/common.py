"""What every part of identity's HTTP API shares: the blueprint, identity's own runtime and
the caller's address."""
from flask import current_app, request
from flask_smorest import Blueprint

blp = Blueprint("identity", __name__, description="账号、注册、实名认证、登录、令牌与个人信息")


def identity():
    """identity's own runtime: its config, SMS sender, name check and effects (__init__.py)."""
    return current_app.extensions["rencai.identity"]


def client_ip() -> str:
    """The caller's address as the gateway saw it (it sets X-Forwarded-For)."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return (forwarded or request.remote_addr or "unknown")[:64]


def pair(tokens) -> dict:
    """A TokenPair, or a dict (a staff member's first sign-in adds the recovery codes)."""
    return tokens if isinstance(tokens, dict) else tokens.__dict__
