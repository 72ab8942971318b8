"""The web client: server-rendered pages (Jinja2) for the browser, mounted by the gateway at
`/`. Blueprints by audience (`person` here; `unit`, `review`, `admin` later). Pages reach the
services only through the gateway's backends with the signed-in user's token (client.py);
the JSON API stays the one contract and authorisation stays in the services."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, flash, redirect, render_template, request, send_from_directory, \
    url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from services.common.errors import HTTP_TITLES, problem

from . import assets, auth, filters
from .client import ApiError, NotSignedIn

HERE = Path(__file__).parent
STATIC = HERE / "static"
YEAR = 365 * 24 * 3600

# No inline script and no inline style anywhere; images may be data: (QR codes) or blob:
# (the photo picked for cropping, shown before it is uploaded).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")

csrf = CSRFProtect()


def _secret_key(config) -> str:
    """RENCAI_WEB_SECRET_KEY (every gateway process of the stack must share it), else a key
    generated once and kept beside the other development keys under var/."""
    if config.web_secret_key:
        return config.web_secret_key
    path = Path(config.var_dir) / "web-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: two workers starting together end up with the same key
        with open(path, "x") as created:
            created.write(secrets.token_urlsafe(48))
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text().strip()


def init_web(app: Flask) -> None:
    config = app.extensions["rencai.gateway_config"]  # gateway/config.py
    app.secret_key = _secret_key(config)
    app.session_interface = auth.SessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="rencai_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web_secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session, which expires on its own
        WTF_CSRF_SSL_STRICT=True)
    app.template_folder = str(HERE / "templates")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    filters.register(app)
    csrf.init_app(app)
    # The JSON API authenticates by bearer token, not by cookie: no CSRF there.
    for endpoint in ("route", "healthz", "api_docs"):
        if endpoint in app.view_functions:
            csrf.exempt(app.view_functions[endpoint])

    own_versions: dict[str, str] = {}
    vendor: dict[str, str] = {}

    def asset(name: str) -> str | None:
        """The URL of a static file with a cache-busting part: vendor files carry their hash
        in the name (manifest.json), our own get ?v=<hash of the content>."""
        if name in assets.FILES or name in assets.BUNDLES:
            if not vendor:
                vendor.update(assets.manifest())
            if name not in vendor:
                return None  # not built: pages still work without JavaScript
            return url_for("static_files", filename=vendor[name])
        if name not in own_versions or app.debug:
            own_versions[name] = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        return url_for("static_files", filename=name, v=own_versions[name])

    app.jinja_env.globals.update(asset=asset, current_user=auth.user, signed_in=auth.signed_in)

    @app.get("/static/<path:filename>", endpoint="static_files")
    def static_files(filename: str):
        hashed = filename.startswith("vendor/") or "v" in request.args
        return send_from_directory(STATIC, filename, max_age=YEAR if hashed else 300)

    @app.after_request
    def _security_headers(response):
        if auth.is_page(request.path):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            if request.path.startswith("/static/") and (
                    request.path.startswith("/static/vendor/") or "v" in request.args):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            elif response.mimetype == "text/html":
                response.headers["Cache-Control"] = "no-store"  # pages show personal data
        return response

    from .person import bp as person_bp
    app.register_blueprint(person_bp)
    from .review import bp as review_bp
    from .unit import bp as unit_bp
    app.register_blueprint(review_bp)
    app.register_blueprint(unit_bp)
    from .admin import bp as admin_bp
    app.register_blueprint(admin_bp)

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("error.html", status=400, title="页面已过期",
                               detail="页面已过期或来源不明，请刷新页面后重新提交。"), 400

    @app.errorhandler(NotSignedIn)
    def _signed_out(error):
        auth.session.clear()
        flash("登录已过期，请重新登录", "warning")
        return redirect(url_for("person.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        status = error.status if error.status in (400, 403, 404, 409, 422, 429) else 502
        return render_template("error.html", status=status,
                               title=HTTP_TITLES.get(status, "出错了"),
                               detail=error.detail), status

    api_handler = app.error_handler_spec[None][None].get(HTTPException)  # problem+json

    def _page_or_problem(error: HTTPException):
        status = error.code or 500
        if not auth.is_page(request.path):
            if api_handler:
                return api_handler(error)
            return problem(status, HTTP_TITLES.get(status, error.name))
        detail = {404: "您访问的页面不存在，或您无权查看。", 405: "不支持该操作。",
                  413: "上传的文件过大。"}.get(status, "请稍后再试。")
        return render_template("error.html", status=status,
                               title=HTTP_TITLES.get(status, "出错了"), detail=detail), status

    for code in (404, 405, 413):
        app.register_error_handler(code, _page_or_problem)

