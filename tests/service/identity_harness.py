"""A harness for identity's tests: the identity app alone behind the real gateway code, on
its own SQLite file, with helpers that read what a person would see (the captcha's answer,
the SMS the development sender "sent")."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

from sqlalchemy import select

from gateway.app import create_gateway
from gateway.backends import InProcessBackend
from services.common.auth import TokenVerifier
from services.common.config import Settings
from services.common.migrate import upgrade
from services.common.pii import blind_index

from services.identity import create_app
from services.identity.config import IdentityConfig
from services.identity.model import Captcha, SmsMessage
from services.identity.rules import with_check_digit
from services.identity.service import accounts, tokens

_phones = itertools.count(1)
_ids = itertools.count(1)


def new_phone() -> str:
    return f"139{next(_phones):08d}"


def new_id_number(birth: str = "19900307") -> str:
    return with_check_digit(f"110105{birth}{next(_ids) % 1000:03d}")


def use_fast_password_hashing() -> None:
    """argon2id still, at test-sized cost (hashes made so verify anywhere)."""
    from argon2 import PasswordHasher

    from services.identity.service import logins

    accounts.passwords = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    logins._DUMMY_HASH = accounts.passwords.hash("rencai-dummy-password")


class Harness:
    def __init__(self, var_dir: Path, name_matches=None, **config):
        use_fast_password_hashing()
        var_dir.mkdir(parents=True, exist_ok=True)
        self.settings = Settings.from_env("identity", var_dir=var_dir,
                                          database_url=f"sqlite:///{var_dir / 'identity.db'}",
                                          bus_url="memory://", jwks_url=None)
        upgrade("identity", self.settings.database_url)
        self.config = IdentityConfig(**{"development": True, **config})
        self.app = create_app(self.settings, config=self.config, name_matches=name_matches)
        self.kit = self.app.extensions["rencai.kit"]
        self.db = self.kit.db
        verifier = TokenVerifier(lambda: tokens.jwks(self.db), self.settings.token_issuer,
                                 min_refresh_seconds=0)
        self.gateway = create_gateway({"identity": InProcessBackend("identity", self.app)},
                                      verifier)
        self.client = self.gateway.test_client()
        self._ips = itertools.count(1)

    def close(self):
        self.kit.worker.close()
        self.db.dispose()

    def new_ip(self) -> str:
        return f"10.0.{next(self._ips) // 250}.{next(self._ips) % 250 + 1}"

    # --- talking to it --------------------------------------------------------------------

    def call(self, method: str, path: str, json=None, token: str | None = None,
             ip: str = "10.255.0.1"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open("/api/identity" + path, method=method, json=json,
                                    headers=headers, environ_base={"REMOTE_ADDR": ip})
        return response

    def captcha(self, ip: str = "10.255.0.1") -> tuple[str, str]:
        """A new captcha's id and its answer (read as a person reads the image)."""
        reply = self.call("POST", "/captchas", ip=ip)
        assert reply.status_code == 201, reply.get_json()
        captcha_id = reply.get_json()["captcha_id"]
        with self.db.reading() as session:
            return captcha_id, session.get(Captcha, captcha_id).answer

    def send_sms(self, phone: str, purpose: str = "register", ip: str = "10.255.0.1",
                 token: str | None = None):
        captcha_id, answer = self.captcha(ip)
        return self.call("POST", "/me/sms-codes" if token else "/sms-codes",
                         {"phone": phone, "purpose": purpose, "captcha_id": captcha_id,
                          "captcha_code": answer}, token=token, ip=ip)

    def staff_token(self, username: str, password: str, ip: str = "10.255.0.1") -> str:
        """A staff member's access token, signed in with the second factor as staff are
        (enrolling at the first sign-in): tests.support.StaffSessions over this harness."""
        from tests.support import Reply, StaffSessions

        def send(method, path, json=None, headers=None):
            response = self.call(method, path.removeprefix("/api/identity"), json, ip=ip)
            return Reply(response.status_code, response.get_json(silent=True),
                         dict(response.headers))

        if not hasattr(self, "staff"):
            self.staff = StaffSessions()
        return self.staff.sign_in(send, username, password)["access_token"]

    def sms_texts(self, phone: str) -> list[str]:
        """What the development sender "sent" to a phone, newest first."""
        with self.db.reading() as session:
            return list(session.scalars(select(SmsMessage.text).where(
                SmsMessage.phone_index == blind_index(phone))
                .order_by(SmsMessage.created_at.desc())))

    def last_sms_code(self, phone: str) -> str:
        with self.db.reading() as session:
            text = session.scalars(select(SmsMessage.text).where(
                SmsMessage.phone_index == blind_index(phone))
                .order_by(SmsMessage.created_at.desc())).first()
        return re.search(r"\d{6}", text).group(0)

    def register(self, username: str, phone: str | None = None, password: str = "Shu1yuan",
                 ip: str | None = None) -> dict:
        """Step 1 done: returns the registration reply (with tokens) plus the phone."""
        phone = phone or new_phone()
        ip = ip or self.new_ip()
        sent = self.send_sms(phone, ip=ip)
        assert sent.status_code == 201, sent.get_json()
        reply = self.call("POST", "/registrations", {
            "username": username, "phone": phone, "sms_code": self.last_sms_code(phone),
            "password": password, "password_confirm": password, "agree": True}, ip=ip)
        assert reply.status_code == 201, reply.get_json()
        body = reply.get_json()
        return {**body, "phone": phone, "token": body["tokens"]["access_token"]}
