"""One log format for every process, carrying the request / trace id."""
from __future__ import annotations

import logging
import os

from .bus import trace_id_var


class _TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = trace_id_var.get() or "-"
        return True


def configure_logging() -> None:
    root = logging.getLogger()
    if getattr(root, "_rencai_configured", False):
        return
    handler = logging.StreamHandler()
    handler.addFilter(_TraceIdFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s [%(trace_id)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(os.environ.get("RENCAI_LOG_LEVEL", "INFO"))
    logging.getLogger("spiff").setLevel(logging.WARNING)  # it logs every state change
    root._rencai_configured = True
