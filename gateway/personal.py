"""GET /api/me/export: everything Rencai holds about the caller (PIPL art. 45), as one ZIP.

The gateway only collects: each service answers for its own data on its own `/me/export`
with the caller's token (no service reads another's tables), and the gateway packs the
answers as <service>.json beside a manifest. Incomplete is refused, never shipped."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

from flask import Flask, g, request, send_file

from services.common.auth import TokenVerifier, bearer_token
from services.common.errors import DomainError, NotAuthenticated

README = ("本压缩包是人才业务办理平台中与您有关的全部个人信息（依《个人信息保护法》第四十五条导出），"
          "每个服务一个 JSON 文件：identity（账号、个人信息、同意记录、申诉、办结记录、会话、"
          "个人数据的审计记录）、orgs（单位关联）、files（附件清单）、workflow（业务申请及其"
          "办理记录、竞赛报名）。内含完整身份证号等敏感信息，请妥善保管。\n")


class ExportIncomplete(DomainError):
    status, code, title = 503, "export-incomplete", "服务暂不可用"


def add_personal_data_routes(app: Flask, backends: dict, verifier: TokenVerifier) -> None:
    @app.get("/api/me/export")
    def export_my_data():
        token = bearer_token()
        if not token:
            raise NotAuthenticated("请先登录")
        claims = verifier.verify(token)
        headers = {"Authorization": request.headers["Authorization"],
                   "X-Request-Id": g.request_id}
        parts = {}
        for name, backend in backends.items():
            status, body = backend.fetch("me/export", headers)
            if status == 401:
                raise NotAuthenticated("登录已过期，请重新登录")
            if status != 200:
                raise ExportIncomplete(f"{name} 服务暂时无法导出您的数据，请稍后再试")
            parts[name] = json.loads(body)
        now = datetime.now(timezone.utc)
        manifest = {"account_id": claims.sub, "exported_at": now.isoformat(),
                    "services": sorted(parts), "request_id": g.request_id}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", README)
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            for name, part in parts.items():
                archive.writestr(f"{name}.json", json.dumps(part, ensure_ascii=False, indent=2))
        buffer.seek(0)
        response = send_file(buffer, mimetype="application/zip", as_attachment=True,
                             download_name=f"rencai-personal-data-{now:%Y%m%d%H%M%S}.zip")
        response.headers["Cache-Control"] = "no-store"
        return response
