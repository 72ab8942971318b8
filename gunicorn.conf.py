"""Settings every Rencai gunicorn shares (gunicorn reads ./gunicorn.conf.py by itself: the
stack, compose and the tests all start it from the project root): its access and error logs
are redacted like every other log line (services/common/logging.py), and no banner."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from services.common.headers import hide_gunicorn_banner  # noqa: E402

# No `Server: gunicorn` banner on any response.
hide_gunicorn_banner()
logger_class = "services.common.logging.GunicornLogger"
