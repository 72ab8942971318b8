"""A service's bus worker as its own process (the stack): relays its outbox, runs its consumer.

    python -m services.common.worker orgs
"""
from __future__ import annotations

import importlib
import signal
import sys

from .config import Settings


def main(service: str) -> None:
    module = importlib.import_module(f"services.{service}")
    app = module.create_app(Settings.from_env(service))
    worker = app.extensions["rencai.kit"].worker
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    print(f"bus worker for {service} started", flush=True)
    try:
        worker.run_forever()
    finally:
        worker.close()


if __name__ == "__main__":
    main(sys.argv[1])
