"""What every part of identity's HTTP API shares: the blueprint and the use-case context."""
from flask import current_app, request
from flask_smorest import Blueprint

from services.common.app import kit

from ..service.base import Ctx

blp = Blueprint("identity", __name__, description="账号、注册、实名认证、登录、令牌与个人信息")


def client_ip() -> str:
    """The caller's address as the gateway saw it (it sets X-Forwarded-For)."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return (forwarded or request.remote_addr or "unknown")[:64]


def ctx() -> Ctx:
    service_kit = kit()
    own = current_app.extensions["identity"]
    return Ctx(service_kit.db, service_kit.outbox, service_kit.settings, own["config"],
               sender=own["sender"], ip=client_ip(), name_matches=own["name_matches"])


def pair(tokens) -> dict:
    """A TokenPair, or a dict (a staff member's first sign-in adds the recovery codes)."""
    return tokens if isinstance(tokens, dict) else tokens.__dict__
