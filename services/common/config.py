"""Configuration from environment variables with the single prefix RENCAI_.

The same code runs embedded (SQLite + memory bus), as a stack of processes (PostgreSQL +
RabbitMQ) and in containers; only these values change.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .keyring import configured

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "orgs", "files", "workflow")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"RENCAI_{name}", default)


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    bus_url: str = "memory://"
    var_dir: Path = PROJECT_ROOT / "var"
    files_dir: Path = PROJECT_ROOT / "var" / "files"
    bpmn_dir: Path = PROJECT_ROOT / "bpmn"
    # Where a verifier fetches identity's public keys; None means "use the in-process
    # identity app" (embedded mode wires that up).
    jwks_url: str | None = None
    # base64 of 32 bytes (RENCAI_PII_KEY or RENCAI_PII_KEY_FILE); None: refused in the stack,
    # generated once into keys_dir in embedded development (services.common.keyring)
    pii_key: str | None = None
    # retired PII keys that still open old values until `python -m services.common.pii rotate`
    pii_key_old: str | None = None
    # development keys only (embedded, SQLite): apart from the databases
    keys_dir: Path = PROJECT_ROOT / "var" / "keys"
    token_issuer: str = "rencai-identity"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 7 * 24 * 3600
    bus_max_attempts: int = 3
    bus_retry_backoff: float = 0.05
    # identity's list of revoked access tokens (default: beside RENCAI_JWKS_URL) and how old
    # a service's copy of it may grow (RENCAI_DENYLIST_REFRESH_SECONDS); the gateway asks
    # identity at every request instead.
    denylist_url: str | None = None
    denylist_refresh_seconds: float = 1.0

    @classmethod
    def from_env(cls, service: str, **overrides) -> "Settings":
        var_dir = Path(_env("VAR_DIR", str(PROJECT_ROOT / "var")))
        values = dict(
            service=service,
            database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / (service + '.db')}"),
            bus_url=_env("BUS_URL", "memory://"),
            var_dir=var_dir,
            files_dir=Path(_env("FILES_DIR", str(var_dir / "files"))),
            bpmn_dir=Path(_env("BPMN_DIR", str(PROJECT_ROOT / "bpmn"))),
            jwks_url=_env("JWKS_URL"),
            pii_key=configured("PII_KEY"),
            pii_key_old=configured("PII_KEY_OLD"),
            keys_dir=Path(_env("KEYS_DIR", str(var_dir / "keys"))),
            denylist_url=_env("DENYLIST_URL"),
            denylist_refresh_seconds=float(_env("DENYLIST_REFRESH_SECONDS", "1.0")),
        )
        values.update(overrides)
        if "var_dir" in overrides and "keys_dir" not in overrides and not _env("KEYS_DIR"):
            values["keys_dir"] = Path(overrides["var_dir"]) / "keys"
        return cls(**values)

    @property
    def development_keys_dir(self) -> Path | None:
        """Where missing keys may be generated: only embedded (SQLite) development; None in
        the stack and in containers (PostgreSQL), where keys must be configured."""
        return self.keys_dir if self.database_url.startswith("sqlite") else None


def service_urls() -> dict[str, str]:
    """Base URLs of the services for the gateway in the stack (RENCAI_<SERVICE>_URL)."""
    return {name: _env(f"{name.upper()}_URL", f"http://127.0.0.1:{8101 + i}")
            for i, name in enumerate(SERVICES)}
