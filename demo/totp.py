"""The demo staff's current 动态验证码 (TOTP codes): every staff account signs in with one.

    python -m demo.totp              every demo staff account: code, seconds left, secret
    python -m demo.totp kewei admin  just these

The secrets are demo data (demo/data.py); add one to an authenticator app (as a "key") to
sign in from a phone instead. Each code signs in once.
"""
from __future__ import annotations

import sys
import time

import pyotp

from .data import DEMO_TOTP_SECRETS


def main(usernames: list[str]) -> int:
    unknown = [name for name in usernames if name not in DEMO_TOTP_SECRETS]
    if unknown:
        print(f"not demo staff: {', '.join(unknown)} (staff: {', '.join(DEMO_TOTP_SECRETS)})",
              file=sys.stderr)
        return 2
    left = 30 - int(time.time()) % 30
    for name in usernames or DEMO_TOTP_SECRETS:
        totp = pyotp.TOTP(DEMO_TOTP_SECRETS[name])
        print(f"{name:<10} {totp.now()}  (valid {left:>2}s more)  secret {totp.secret}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
