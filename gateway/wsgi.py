"""gunicorn entry for the stack: gunicorn gateway.wsgi:app (RENCAI_GATEWAY_MODE=proxy)."""
from services.common.auth import RevocationCheck, TokenVerifier
from services.common.config import service_urls
from services.common.logging import configure_logging

from .app import create_gateway
from .backends import HttpBackend
from .config import GatewayConfig

configure_logging()  # the gateway's own lines (errors, tracebacks) redacted like the services'
urls = service_urls()
config = GatewayConfig.from_env()
jwks_url = config.jwks_url or f"{urls['identity']}/.well-known/jwks.json"
# Every request asks identity whether its token was revoked (logout takes effect at once).
revocations = config.denylist_url or f"{urls['identity']}/tokens/revocations"
app = create_gateway({name: HttpBackend(name, url) for name, url in urls.items()},
                     TokenVerifier.from_url(jwks_url, "rencai-identity",
                                            is_revoked=RevocationCheck(revocations)),
                     config=config)
