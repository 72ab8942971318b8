"""gunicorn entry for the stack: gunicorn gateway.wsgi:app (RENCAI_GATEWAY_MODE=proxy)."""
from services.common.auth import TokenVerifier
from services.common.config import service_urls
from services.common.logging import configure_logging

from .app import create_gateway
from .backends import HttpBackend
from .config import GatewayConfig

configure_logging()  # the gateway's own lines (errors, tracebacks) redacted like the services'
urls = service_urls()
config = GatewayConfig.from_env()
jwks_url = config.jwks_url or f"{urls['identity']}/.well-known/jwks.json"
# The signature only: each service refuses a revoked token from its own copy of the denylist
# (services/common/denylist.py), so no request waits on a call to identity here.
app = create_gateway({name: HttpBackend(name, url) for name, url in urls.items()},
                     TokenVerifier.from_url(jwks_url, "rencai-identity"), config=config)
