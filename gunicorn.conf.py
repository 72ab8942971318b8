"""Settings every Rencai gunicorn shares (gunicorn reads ./gunicorn.conf.py by itself: the
stack, compose and the tests all start it from the project root): its access and error logs
are redacted like every other log line (services/common/logging.py), and no banner."""
import gc
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
# On 2 cores: one web worker per gunicorn (-w 1) with 4 threads, and a service's bus worker
# beside it (services/common/worker.py). Five gunicorns share the two cores, so a second web
# worker per service buys little throughput (docs/performance.md, "Memory (helper memory)")
# and costs 15-35 MiB: the pages its requests write are copied, whatever --preload shares.
# Python runs one thread of a process at a time; 4 threads overlap the requests' waiting on
# PostgreSQL and on peers, more only queue on the GIL.
worker_class = "services.common.worker.ServiceWorker"
threads = int(os.environ.get("RENCAI_GUNICORN_THREADS", "4"))
# Each worker touches a heartbeat file on every turn of its loop: in memory, not on the disk
# (where /tmp is), when the system has /dev/shm (Linux and containers do).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    """A service's gunicorn runs its bus worker too: one more worker slot than -w
    (services/common/worker.py). What every worker would build on its first request is built
    here, once, and shared; the heap it freed goes back to the kernel."""
    from services.common.worker import add_bus_slots, release_free_heap, warm

    add_bus_slots(server)
    warm(server.app.wsgi())
    release_free_heap()


def on_reload(server):
    from services.common.worker import add_bus_slots, retire_workers

    add_bus_slots(server)
    retire_workers(server)


def pre_fork(server, worker):
    """Move everything the preloaded app allocated out of the collector's reach before each
    fork: a collection in a worker would otherwise write to (and so copy) every shared page
    holding an object header. Then say whether this worker runs the bus."""
    from services.common.worker import assign_bus_slot

    gc.freeze()
    assign_bus_slot(server, worker)
