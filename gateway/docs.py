"""/api/docs: every service's OpenAPI document, browsable in Swagger UI.

The assets come from the flask-swagger-ui wheel (no CDN: the platform may run without the
internet); the page has no inline script or style, so it holds under a strict
Content-Security-Policy. A client that asks for JSON gets the index of the documents."""
from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, render_template, request, send_from_directory
from werkzeug.exceptions import NotFound

SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png", "favicon-16x16.png"}
HERE = Path(__file__).parent / "docs"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")

docs = Blueprint("docs", __name__, template_folder=str(HERE))


def _index() -> dict:
    return {"services": {name: f"/api/{name}/openapi.json"
                         for name in current_app.extensions["rencai.backends"]}}


@docs.get("/api/docs")
def api_docs():
    """Swagger UI for a browser; the index of the documents for a client that wants JSON."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        return _index()
    response = current_app.make_response(render_template("swagger.html", **_index()))
    response.headers["Content-Security-Policy"] = CSP
    return response


@docs.get("/api/docs/assets/<name>")
def asset(name: str):
    if name == "init.js":
        return send_from_directory(HERE, "init.js", max_age=3600)
    if name not in ASSETS:
        raise NotFound()
    return send_from_directory(SWAGGER_UI, name, max_age=24 * 3600)
