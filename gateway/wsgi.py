"""gunicorn entry for the stack: gunicorn gateway.wsgi:app (RENCAI_GATEWAY_MODE=proxy)."""
import os

from services.common.auth import RevocationCheck, TokenVerifier
from services.common.config import service_urls
from services.common.logging import configure_logging

from .app import create_gateway
from .backends import HttpBackend

configure_logging()  # the gateway's own lines (errors, tracebacks) redacted like the services'
urls = service_urls()
jwks_url = os.environ.get("RENCAI_JWKS_URL", f"{urls['identity']}/.well-known/jwks.json")
# Every request asks identity whether its token was revoked (logout takes effect at once).
revocations = os.environ.get("RENCAI_DENYLIST_URL", f"{urls['identity']}/tokens/revocations")
# The largest request body passed on (uploads stream through); files has its own limit.
max_body_bytes = int(os.environ.get("RENCAI_GATEWAY_MAX_BODY_MB", "20")) * 1024 * 1024
app = create_gateway({name: HttpBackend(name, url) for name, url in urls.items()},
                     TokenVerifier.from_url(jwks_url, "rencai-identity",
                                            is_revoked=RevocationCheck(revocations)),
                     max_body_bytes=max_body_bytes)
