"""Issue 17 §5: the demo's credentials satisfy the new password rules, and `python -m
demo.totp` (what `make run` points staff to) prints the codes the demo staff sign in with."""
import subprocess
import sys

import pyotp

from demo.data import ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRETS
from services.common.config import PROJECT_ROOT
from services.identity.rules import common_passwords, password_error


def test_the_demo_password_passes_for_citizens_and_staff():
    assert password_error(DEMO_PASSWORD) is None
    assert password_error(DEMO_PASSWORD, staff=True) is None


def test_password_rules():
    assert password_error("Rencai!2026#x") is None  # punctuation is allowed
    assert password_error("Abc12345", staff=True) == "工作人员的密码应为 10-64 个字符"
    assert password_error("QWERTY123") == "该密码过于常见，容易被猜中，请换一个"
    assert "abc123" in common_passwords() and len(common_passwords()) > 100


def test_every_demo_staff_account_has_an_authenticator():
    staff = {username for _, username, kind, *_ in ACCOUNTS if kind == "staff"}
    assert set(DEMO_TOTP_SECRETS) == staff and "admin" in staff


def test_demo_totp_prints_the_current_codes():
    done = subprocess.run([sys.executable, "-m", "demo.totp", "kewei", "admin"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines())
    for name in ("kewei", "admin"):
        code = lines[name].split()[0]
        assert pyotp.TOTP(DEMO_TOTP_SECRETS[name]).verify(code, valid_window=1)
    unknown = subprocess.run([sys.executable, "-m", "demo.totp", "zhangsan"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "not demo staff" in unknown.stderr
