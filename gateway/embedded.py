"""The embedded default: the whole system in one process (`make run`).

The gateway dispatches to the four service apps in-process; each service has its own SQLite
file under var/; the bus is kombu's memory transport with each service's worker on a thread;
files are stored under var/files. The same code runs in the stack; only URLs differ.
"""
from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

from services.common.auth import TokenVerifier
from services.common.bus import declare_all, settle
from services.common.config import PROJECT_ROOT, SERVICES, Settings
from services.common.migrate import upgrade
from services.identity import service as identity_service
from services.workflow.service import deploy_directory

from .app import create_gateway
from .backends import InProcessBackend


class EmbeddedSystem:
    def __init__(self, var_dir: Path, bpmn_dir: Path | None = None):
        # The embedded default is development: the development SMS sender (GET /dev/sms) and
        # the check-digit-only name check. A deployment never runs this (see README, Modes).
        os.environ.setdefault("RENCAI_ENV", "development")
        var_dir.mkdir(parents=True, exist_ok=True)
        self.settings = {
            name: Settings.from_env(name, database_url=f"sqlite:///{var_dir / (name + '.db')}",
                                    bus_url="memory://", var_dir=var_dir,
                                    files_dir=var_dir / "files",
                                    bpmn_dir=bpmn_dir or PROJECT_ROOT / "bpmn", jwks_url=None)
            for name in SERVICES
        }
        for name, settings in self.settings.items():
            upgrade(name, settings.database_url)

        self.apps = {"identity": importlib.import_module("services.identity").create_app(
            self.settings["identity"])}
        identity_db = self.kit("identity").db
        # In-process, the others read identity's keys through its use case, not over HTTP.
        # Revoked tokens as in the stack: each service refuses them from its own copy of the
        # denylist (create_service_app adds it), filled by identity.tokens.revoked before
        # identity answers; the gateway checks the signature only.
        self.verifier = TokenVerifier(lambda: identity_service.jwks(identity_db),
                                      self.settings["identity"].token_issuer)
        for name in SERVICES[1:]:
            module = importlib.import_module(f"services.{name}")
            self.apps[name] = module.create_app(self.settings[name], verifier=self.verifier)
        for name in SERVICES:  # synchronous internal calls stay in this process
            self.kit(name).internal.local.update(self.apps)
        deploy_directory(self.kit("workflow").db, self.settings["workflow"].bpmn_dir)
        self.workers = [self.kit(name).worker for name in SERVICES]
        declare_all(self.workers)
        self.gateway = create_gateway(
            {name: InProcessBackend(name, app) for name, app in self.apps.items()},
            self.verifier)

    def kit(self, name: str):
        return self.apps[name].extensions["rencai.kit"]

    def seed_demo(self) -> None:
        from demo.seed import seed, seed_competition

        seed(self.kit("identity").db, self.kit("identity").outbox,
             self.kit("orgs").db, self.kit("orgs").outbox)
        seed_competition(self.kit("workflow").db)

    def settle(self) -> None:
        """Delivers every pending event now (tests; threads do this continuously)."""
        settle(self.workers)

    def start_bus_threads(self) -> None:
        declare_all(self.workers)
        for worker in self.workers:
            worker.start_thread()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
            worker.close()
        for name in SERVICES:
            self.kit(name).db.dispose()


def serve(app, host: str, port: int, threads: int = 4):
    """A production WSGI server (waitress: threaded, pure Python, no fork, so the bus threads
    and the SQLite files stay in this one process), not werkzeug's development server. No
    `Server` banner (ident=""). `.run()` serves; `.close()` stops."""
    from waitress import create_server

    return create_server(app, host=host, port=port, threads=threads, ident="")


def main() -> None:
    from demo.seed import demo_logins

    parser = argparse.ArgumentParser(description="Rencai, embedded (one process)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--var-dir", type=Path, default=PROJECT_ROOT / "var")
    args = parser.parse_args()

    system = EmbeddedSystem(args.var_dir)
    system.seed_demo()
    system.settle()
    system.start_bus_threads()
    url = f"http://{args.host}:{args.port}"
    print(f"\nRencai 人才业务办理平台 (embedded) is running at {url}")
    print(f"  in a browser: {url}/  (个人版: sign in or register)")
    print(f"  API documents: {url}/api/docs    health: {url}/healthz")
    if (keys_dir := system.settings["identity"].keys_dir).exists():
        print(f"  development keys (this machine only, never a deployment's): {keys_dir}")
    print(f"  sign in: POST {url}/api/identity/tokens {{\"username\": ..., \"password\": ...}}")
    print("  demo logins (username / password — role):")
    for username, password, purpose in demo_logins():
        print(f"    {username:<10} / {password} — {purpose}")
    print("  staff (reviewers, experts, 组委会, admin) also give a 动态验证码 (\"totp_code\"):")
    print("    .venv/bin/python -m demo.totp [username]   prints the demo staff's current codes")
    print(flush=True)
    serve(system.gateway, args.host, args.port).run()


if __name__ == "__main__":
    main()
