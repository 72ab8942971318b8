"""No ID number, phone, SMS code or credential in a log line: the kit's redaction, its
handler, and gunicorn's access log (what compose runs with --access-logfile -)."""
import datetime
import io
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from services.common.logging import GunicornLogger, RedactingFormatter, redact

ID_NUMBER = "11010519491231002X"
PHONE = "13800000001"
TOKEN = "eyJhIjoiMSJ9.aGVsbG8td29ybGQ.c2lnbmF0dXJl"


def test_personal_numbers_codes_and_credentials_are_masked():
    line = (f"GET /api/identity/dev/sms?phone={PHONE}&x=1 id {ID_NUMBER} tel {PHONE} "
            f"【平台】您的登录验证码是 482913，5 分钟内有效 Authorization: Bearer {TOKEN} "
            "/api/files/signed/eyJhIjoiYi.Zm9v.YmFy?download=1 "
            "/api/orgs/employees?name=%E5%BC%A0&id_number=110105&code=ZNZZ2828")
    out = redact(line)
    for secret in (ID_NUMBER, PHONE, "482913", TOKEN, "eyJhIjoiYi.Zm9v.YmFy", "%E5%BC%A0",
                   "ZNZZ2828", "110105"):
        assert secret not in out, secret
    assert "110***********002X" in out and "138****0001" in out
    assert "/api/files/signed/***" in out and "x=1" in out


def test_ordinary_numbers_survive():
    line = "GET /healthz 200 12345 took 0.0123s port 8101 instance 2b70eb44ca74"
    assert redact(line) == line


def test_the_kit_formatter_redacts_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("person %s phone %s", ID_NUMBER, PHONE)
        try:
            raise ValueError(f"duplicate id_number {ID_NUMBER}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert ID_NUMBER not in text and PHONE not in text and "ValueError" in text


def test_gunicorn_access_log_is_redacted(tmp_path):
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("logger_class", "services.common.logging.GunicornLogger")
    logger = cfg.logger_class(cfg)
    assert isinstance(logger, GunicornLogger)
    environ = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
               "RAW_URI": f"/api/files/signed/{TOKEN}?phone={PHONE}",
               "PATH_INFO": f"/api/files/signed/{TOKEN}", "QUERY_STRING": f"phone={PHONE}",
               "REMOTE_ADDR": "10.0.0.1", "HTTP_REFERER": f"https://x/?id_number={ID_NUMBER}"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ,
                  datetime.timedelta(seconds=0.01))
    for handler in logger.access_log.handlers:
        handler.flush()
    text = log_file.read_text()
    assert "GET /api/files/signed/***" in text
    assert TOKEN not in text and PHONE not in text and ID_NUMBER not in text


def test_gunicorn_reads_the_logger_from_the_project_config():
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert conf["logger_class"] == "services.common.logging.GunicornLogger"
