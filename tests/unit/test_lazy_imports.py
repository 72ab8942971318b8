"""Heavy libraries are loaded where and when used, not in every process at start: the OCR
model runtime (orgs' licence check), openpyxl (exports), boto3 (S3 storage), pypinyin's
dictionaries (the catalogue's pinyin search). Each would cost every gunicorn worker and bus
worker tens of MiB. Lighter ones used on rare paths only are loaded there too: Pillow (the
captcha, an image's upload, the photo crop), segno (TOTP enrolment's and the sign-in page's
QR codes), Authlib's OAuth client with joserfc (third-party sign-in): together ≈ 5 MiB of
each identity master's heap (docs/performance.md, "Lazy imports (helper memtrim, sixth
session)")."""
import subprocess
import sys

from services.common.config import PROJECT_ROOT

HEAVY = ("rapidocr_onnxruntime", "onnxruntime", "openpyxl", "boto3", "botocore", "pypinyin",
         "moto", "numpy", "PIL", "segno", "joserfc")


def test_no_service_loads_a_heavy_library_at_start():
    probe = ("import sys\n"
             "import services.identity, services.orgs, services.files, services.workflow\n"
             "import gateway.app\n"
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin"},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_pinyin_search_still_finds_by_initials():
    from services.files.service.catalogue import name_matches

    assert name_matches("身份证", "sfz") and name_matches("身份证", "shenfen")
    assert not name_matches("身份证", "hz")


def test_the_gateway_loads_no_database_bus_or_image_library():
    """The stack's gateway only proxies and renders pages: SQLAlchemy, kombu, flask-smorest
    (the services' OpenAPI), Pillow (the crop page) and lxml (an admin page) would cost its
    processes ≈ 30 MiB (docs/performance.md, "Memory (helper memory)")."""
    unused = ("sqlalchemy", "kombu", "amqp", "psycopg", "flask_smorest", "apispec", "PIL", "lxml")
    probe = ("import sys\n"
             "import gateway.wsgi\n"
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({unused!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(PROJECT_ROOT),
                                                       "PATH": "/usr/bin",
                                                       "RENCAI_GATEWAY_MODE": "proxy"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
