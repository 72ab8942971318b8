"""The gateway's settings (environment variables, prefix RENCAI_), read by the kit's one
loader (services/common/config.py) like every service's. The services' base URLs in the
stack (RENCAI_<SERVICE>_URL) come from the kit's service_urls()."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.common.config import PROJECT_ROOT, FromEnv, development, env

MB = 1024 * 1024


@dataclass(frozen=True)
class GatewayConfig(FromEnv):
    # RENCAI_ENV=development (make run, the tests): the development-only routes are open.
    development: bool = env("ENV", False, parse=development)
    # requests per second per client (burst 4x)
    rate_limit: float = env("RATE_LIMIT", 100.0)
    # The largest request body passed on (uploads stream through); files has its own limit.
    max_body_mb: int = env("GATEWAY_MAX_BODY_MB", 20)
    # Stack only (gateway/wsgi.py): identity's public keys; default: at RENCAI_IDENTITY_URL.
    jwks_url: str | None = env("JWKS_URL", None)
    # Signs the session cookie; every gateway process of the stack must share it. Unset: a
    # key generated once into <var_dir>/web-secret.key (gateway/web).
    web_secret_key: str | None = env("WEB_SECRET_KEY", None)
    var_dir: Path = env("VAR_DIR", PROJECT_ROOT / "var")
    # Secure cookies even when the proxy does not say https
    web_secure_cookies: bool = env("WEB_SECURE_COOKIES", False)

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_mb * MB
