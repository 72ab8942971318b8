"""Helpers the end-to-end tests share: talking to the gateway as a demo user, in either mode."""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Callable

from PIL import Image

import pyotp

from demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRETS

APPLICATION = {
    "project_type": "高层次人才",
    "project_name": "智能焊接机器人关键技术",
    "basic_info_confirmed": True,
    "no_classified_material": True,
    "summary": "面向汽车制造的智能焊接机器人研发与产业化。",
    "education": [{"school": "清华大学", "degree": "博士", "from": "2008-09", "to": "2013-07"}],
    "work_history": [{"employer": "北京智能制造研究院", "position": "研究员", "from": "2013-08"}],
    "exam_exemption": "不免考",
    # The slots rencai:check="plan_project" requires. These ids name no uploaded file (files
    # ignores them): for scenarios not about attachments; tests/flows.py uploads real ones.
    "attachments": [
        {"kind": "education_certificate", "file_id": "file-education", "name": "博士学位证书.pdf"},
        {"kind": "work_proof", "file_id": "file-work", "name": "工作经历证明.pdf"}],
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # small, and passes files' checks


@dataclass
class Reply:
    status: int
    body: dict | list | None
    headers: dict
    text: str = ""  # the raw body (CSV exports and other non-JSON answers)
    content: bytes = b""  # the raw body as bytes (XLSX exports)


# A staff member's tokens are kept this long before they are refreshed (access tokens live 900 s).
KEEP_SECONDS = 600


class StaffSessions:
    """Staff sign in the way staff do — password, then the code of their authenticator (the
    demo's secret, or the one the first sign-in's enrolment showed) — and each code is good
    once per 30-second step (identity refuses a replay). So a staff member's tokens are kept
    for the run, one per system, and refreshed when old, rather than waiting for a fresh
    step at every `login`."""

    def __init__(self):
        self.tokens: dict[tuple[str, str], tuple[float, dict]] = {}
        self.secrets: dict[str, str] = dict(DEMO_TOTP_SECRETS)
        self.last_step: dict[str, int] = {}

    def code(self, username: str, secret: str) -> str:
        """The code of the first step this account has not used yet (waits for it)."""
        step = int(time.time()) // 30
        used = self.last_step.get(username, -1)
        if step <= used:
            time.sleep((used + 1) * 30 - time.time() + 0.05)
            step = used + 1
        self.last_step[username] = step
        return pyotp.TOTP(secret).at(step * 30)

    def sign_in(self, send, username: str, password: str) -> dict:
        """The token pair (`send` is a Gateway's)."""
        key = (username, password)
        if key in self.tokens:
            kept_at, kept = self.tokens[key]
            if time.monotonic() - kept_at < KEEP_SECONDS:
                return kept
            renewed = send("POST", "/api/identity/tokens/refresh",
                           json={"refresh_token": kept["refresh_token"]})
            if renewed.status == 201:
                self.tokens[key] = (time.monotonic(), renewed.body)
                return renewed.body
        body = {"username": username, "password": password}
        reply = send("POST", "/api/identity/tokens", json=body)
        if reply.status == 201:
            return reply.body  # a person or a unit: one factor
        kind = (reply.body or {}).get("type", "").rsplit("/", 1)[-1]
        assert reply.status == 401 and kind in ("totp-required", "totp-enrolment-required"), \
            reply
        if kind == "totp-enrolment-required":  # first sign-in: "scan" the QR code
            self.secrets[username] = reply.body["enrolment"]["secret"]
        reply = send("POST", "/api/identity/tokens", json={
            **body, "totp_code": self.code(username, self.secrets[username])})
        assert reply.status == 201, reply
        self.tokens[key] = (time.monotonic(), reply.body)
        return reply.body

    def forget(self, username: str) -> None:
        """After a reset or a sign-out: the next login signs in afresh."""
        for key in [k for k in self.tokens if k[0] == username]:
            del self.tokens[key]


_HTTP_STAFF: dict[str, StaffSessions] = {}  # per stack (base URL)


class Gateway:
    """`send(method, path, json, headers, form) -> Reply`, over a Flask test client or HTTP.
    `form` sends multipart/form-data: {field: text, or (file name, bytes) for a file}."""

    def __init__(self, send: Callable[..., Reply], sync: Callable[[], None],
                 sms: Callable[[str], list[str]] | None = None,
                 staff: StaffSessions | None = None):
        self.send = send
        self.sync = sync  # delivers pending bus events (embedded) or does nothing (stack)
        self._sms = sms
        self.staff = staff or StaffSessions()

    def sms_texts(self, phone: str) -> list[str]:
        """The SMS texts "sent" to a phone, newest first: the development sender's (embedded,
        GET /api/identity/dev/sms) or the stack's fake SMS gateway's inbox."""
        if self._sms:
            return self._sms(phone)
        reply = self.send("GET", f"/api/identity/dev/sms?phone={phone}")
        assert reply.status == 200, reply
        return [m["text"] for m in reply.body["messages"]]

    @classmethod
    def in_process(cls, system) -> "Gateway":
        client = system.gateway.test_client()

        def send(method, path, json=None, headers=None, form=None):
            if form is not None:
                data = {k: (io.BytesIO(v[1]), v[0]) if isinstance(v, tuple) else v
                        for k, v in form.items()}
                response = client.open(path, method=method, data=data, headers=headers or {},
                                       content_type="multipart/form-data")
            else:
                response = client.open(path, method=method, json=json, headers=headers or {})
            return Reply(response.status_code, response.get_json(silent=True),
                         dict(response.headers), response.get_data().decode("utf-8", "replace"),
                         response.get_data())

        staff = system.__dict__.setdefault("test_staff_sessions", StaffSessions())
        return cls(send, system.settle, staff=staff)

    @classmethod
    def over_http(cls, base_url: str, sms_inbox: str | None = None) -> "Gateway":
        """`sms_inbox`: the fake SMS gateway's GET /sms (the stack has no /dev/sms)."""
        import requests

        session = requests.Session()

        def sms(phone):
            response = requests.get(sms_inbox, params={"phone": phone}, timeout=10)
            response.raise_for_status()
            return [m["text"] for m in response.json()["messages"]]

        def send(method, path, json=None, headers=None, form=None):
            if form is not None:
                files = {k: v for k, v in form.items() if isinstance(v, tuple)}
                fields = {k: v for k, v in form.items() if not isinstance(v, tuple)}
                response = session.request(method, base_url + path, data=fields, files=files,
                                           headers=headers or {}, timeout=30)
            else:
                response = session.request(method, base_url + path, json=json,
                                           headers=headers or {}, timeout=30)
            try:
                body = response.json()
            except ValueError:
                body = None
            return Reply(response.status_code, body, dict(response.headers),
                         response.content.decode("utf-8", "replace"), response.content)

        return cls(send, lambda: None, sms if sms_inbox else None,
                   _HTTP_STAFF.setdefault(base_url, StaffSessions()))

    def login(self, username: str, password: str = DEMO_PASSWORD) -> "User":
        """Signs in (staff with their second factor: see StaffSessions)."""
        return User(self, self.staff.sign_in(self.send, username, password)["access_token"])

    def eventually(self, check: Callable[[], object], timeout: float = 15.0):
        """Waits until `check()` returns something truthy (events travel asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            self.sync()
            result = check()
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.1)


class User:
    def __init__(self, gateway: Gateway, token: str):
        self.gateway = gateway
        self.token = token

    def get(self, path: str) -> Reply:
        return self.gateway.send("GET", path, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path: str, json: dict) -> Reply:
        return self.gateway.send("POST", path, json=json,
                                 headers={"Authorization": f"Bearer {self.token}"})

    def put(self, path: str, json: dict) -> Reply:
        return self.gateway.send("PUT", path, json=json,
                                 headers={"Authorization": f"Bearer {self.token}"})

    def upload(self, category: str, name: str, body: bytes = PDF) -> str:
        """Uploads an attachment through files (a category of its catalogue); its id."""
        reply = self.gateway.send("POST", "/api/files/attachments",
                                  headers={"Authorization": f"Bearer {self.token}"},
                                  form={"category": category, "file": (name, body)})
        assert reply.status == 201, reply
        return reply.body["id"]

    # --- the plan-project business -------------------------------------------------------

    def submit(self, application: dict = APPLICATION) -> dict:
        reply = self.post("/api/workflow/instances",
                          {"process_key": "plan_project", "data": application})
        assert reply.status == 201, reply
        return reply.body

    def task_of(self, instance_id: str) -> str | None:
        """The id of this user's ready task for the instance, if it has one."""
        reply = self.get("/api/workflow/tasks?per_page=100")
        assert reply.status == 200, reply
        ids = [t["id"] for t in reply.body["items"] if t["instance_id"] == instance_id]
        return ids[0] if ids else None

    def decide(self, instance_id: str, decision: str, comment: str = "") -> Reply:
        task_id = self.task_of(instance_id)
        assert task_id, f"no task for this reviewer on {instance_id}"
        data = {"decision": decision, **({"comment": comment} if comment else {})}
        return self.post(f"/api/workflow/tasks/{task_id}/complete", {"data": data})

    def start(self, process_key: str, data: dict) -> Reply:
        return self.post("/api/workflow/instances", {"process_key": process_key, "data": data})

    def complete(self, instance_id: str, data: dict) -> Reply:
        """Completes this user's task on the instance with the form data."""
        task_id = self.task_of(instance_id)
        assert task_id, f"no task for this user on {instance_id}"
        return self.post(f"/api/workflow/tasks/{task_id}/complete", {"data": data})

    def catalogue(self) -> dict:
        reply = self.get("/api/workflow/catalogue")
        assert reply.status == 200, reply
        return {entry["process_key"]: entry for entry in reply.body}

    def prompts(self) -> list[str]:
        return [p["text"] for p in self.get("/api/workflow/prompts?per_page=100").body["items"]]

    def instance(self, instance_id: str) -> dict:
        reply = self.get(f"/api/workflow/instances/{instance_id}")
        assert reply.status == 200, reply
        return reply.body


def photo(user: User) -> str:
    """上传 (a JPEG from the camera) → 裁切照片: the id of the cropped standard-size photo."""
    picture = io.BytesIO()
    Image.new("RGB", (600, 800), (40, 90, 160)).save(picture, "JPEG")
    uploaded = user.upload("id_photo", "证件照.jpg", picture.getvalue())
    cropped = user.post(f"/api/files/attachments/{uploaded}/crop",
                        {"x": 50, "y": 60, "width": 500, "height": 700})
    assert cropped.status == 201 and cropped.body["message"] == "保存成功", cropped
    return cropped.body["attachment"]["id"]
