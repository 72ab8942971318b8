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

# Load the app once in the master and fork the workers from it (--preload): the code, the
# compiled schemas and the BPMN parsed at start are shared copy-on-write instead of built again
# per worker, and workflow deploys its BPMN directory once, not once per worker. Pooled
# database connections are forgotten in each child (services/common/db.py).
preload_app = True
# On 2 cores: 2 worker processes per service so a hot service can use both cores despite the
# GIL, each with 2 threads so one request's PostgreSQL round trips overlap another's Python.
# More threads only queue on the GIL (p95 grows); more processes only add memory.
worker_class = "gthread"
threads = int(os.environ.get("RENCAI_GUNICORN_THREADS", "2"))


def pre_fork(server, worker):
    """Move everything the preloaded app allocated out of the collector's reach before each
    fork: a collection in a worker would otherwise write to (and so copy) every shared page
    holding an object header."""
    import gc

    gc.freeze()
