"""One log format for every process, carrying the request / trace id.

Nothing personal or secret reaches a log line: every line (and traceback) our handler
writes, werkzeug's request lines included, and gunicorn's access log (GunicornLogger, wired
in gunicorn.conf.py) pass through `redact`, which masks ID and phone numbers, SMS codes,
signed-link tokens, bearer tokens and the values of sensitive query parameters. Loggers that
would print SQL parameters or message bodies at DEBUG stay at WARNING.
"""
from __future__ import annotations

import logging
import re
import sys

from .config import ProcessSettings

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
_SMS_CODE = re.compile(r"(验证码\D{0,8}?)\d{4,8}")
_SIGNED = re.compile(r"(/signed/)[^/?#\s\"']+")
_BEARER = re.compile(r"((?:Bearer|bearer)\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")
_QUERY = re.compile(
    r"((?:[?&;]|%26|\b)(?:phone|mobile|id_number|idcard|name|real_name|code|sms_code|"
    r"captcha_code|password|token|access_token|refresh_token|sig|signature|secret|ticket|"
    r"state|username|q)=)[^&\s\"';]*", re.IGNORECASE)

# Loggers that print bound SQL parameters, message bodies or full URLs when at DEBUG.
QUIET_LOGGERS = ("spiff", "SpiffWorkflow", "sqlalchemy.engine", "sqlalchemy.pool", "amqp",
                 "kombu", "pika", "urllib3", "botocore", "boto3", "s3transfer", "PIL",
                 "RestrictedPython")


def redact(text: str) -> str:
    """`text` with personal numbers masked and credentials removed."""
    text = _SIGNED.sub(r"\1***", text)
    text = _JWT.sub("***", text)
    text = _BEARER.sub(r"\1***", text)
    text = _QUERY.sub(r"\1***", text)
    text = _SMS_CODE.sub(r"\1******", text)
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class _TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # The bus keeps the trace id; a process that never loaded it (the gateway: no kombu,
        # no SQLAlchemy there) has none to show.
        bus = sys.modules.get("services.common.bus")
        record.trace_id = (bus.trace_id_var.get() if bus else None) or "-"
        return True


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole line (message, arguments and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging() -> None:
    root = logging.getLogger()
    if getattr(root, "_rencai_configured", False):
        return
    handler = logging.StreamHandler()
    handler.addFilter(_TraceIdFilter())
    handler.setFormatter(RedactingFormatter(
        "%(asctime)s %(levelname)s [%(trace_id)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(ProcessSettings.from_env().log_level)
    for name in QUIET_LOGGERS:  # spiff logs every state change; the rest leak data at DEBUG
        logging.getLogger(name).setLevel(logging.WARNING)
    root._rencai_configured = True


try:  # gunicorn is there in the stack and the containers
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's access and error logs, redacted like ours (request lines carry query
    strings and signed-link tokens, referers carry both, tracebacks carry anything)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers + self.access_log.handlers:
            formatter = handler.formatter or logging.Formatter()
            handler.setFormatter(RedactingFormatter(formatter._fmt, formatter.datefmt))
