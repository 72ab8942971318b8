"""Configuration from environment variables with the single prefix RENCAI_.

The same code runs embedded (SQLite + memory bus), as a stack of processes (PostgreSQL +
RabbitMQ) and in containers; only these values change.

One loader for every service: a frozen dataclass mixing in `FromEnv` declares its settings,
each `env("NAME", default)` field is read from RENCAI_NAME by its type. `Settings` below is
what every service shares; a service's own settings live in its config.py the same way
(services/identity/config.py, services/files/config.py, and the gateway's gateway/config.py);
`ProcessSettings` is what any process reads. pydantic-settings would do the same
at the price of a dependency; these few lines are all we need of it.
"""
from __future__ import annotations

import json
import os
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from .keyring import configured

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "orgs", "files", "workflow")
PREFIX = "RENCAI_"


class SettingsError(ValueError):
    """A RENCAI_ variable whose value cannot be what its setting needs."""


# --- the one loader: a frozen dataclass declares the settings, `env()` names their variables --

def env(name: str, default: Any = MISSING, *, factory: Any = MISSING,
        parse: Callable[[str], Any] | None = None, secret: bool = False) -> Any:
    """A setting read from RENCAI_<name> by `FromEnv.from_env`; the field's type says how to
    read it (str, int, float, bool, Path, dict as JSON; `X | None`) unless `parse` does.
    `factory` makes a mutable default (dict). `secret`: RENCAI_<name> or the file named by
    RENCAI_<name>_FILE (keyring.configured). An empty variable counts as unset: the default
    applies."""
    return field(default=default, default_factory=factory,
                 metadata={"env": (name, parse, secret)})


def variable(name: str) -> str | None:
    """RENCAI_<name>, empty counting as unset: for the few names computed at run time
    (RENCAI_<SERVICE>_URL, RENCAI_<SERVICE>_DATABASE_URL) that no field can declare."""
    value = os.environ.get(PREFIX + name)
    return value if value not in (None, "") else None


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _bool(raw: str) -> bool:
    if raw.strip().lower() in _TRUE + _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError(f"not one of {'/'.join(_TRUE + _FALSE)}")


def development(raw: str) -> bool:
    """RENCAI_ENV: development only when asked for by name (make run, the embedded system,
    the tests); anything else, "dev" included, is a deployment."""
    return raw.strip().lower() == "development"


_PARSERS: dict[type, Callable[[str], Any]] = {
    str: str, int: int, float: float, bool: _bool, Path: Path, dict: json.loads}


def _parser(hint: Any) -> Callable[[str], Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None: read as X
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return _PARSERS[typing.get_origin(hint) or hint]


class FromEnv:
    """Mixed into a frozen dataclass of settings: `from_env(**overrides)` fills each `env()`
    field from its RENCAI_ variable (else its default); overrides (tests, the embedded
    system) win over both. A value that does not parse stops start-up naming the variable."""

    @classmethod
    def from_env(cls, **overrides):
        hints = typing.get_type_hints(cls)
        values = {}
        for setting in fields(cls):
            if setting.name in overrides or "env" not in setting.metadata:
                continue
            name, parse, secret = setting.metadata["env"]
            raw = configured(name) if secret else variable(name)
            if raw is None:
                continue
            try:
                values[setting.name] = (parse or _parser(hints[setting.name]))(raw)
            except ValueError as error:
                shown = "(secret)" if secret else repr(raw)
                raise SettingsError(f"{PREFIX}{name}={shown}: {error}") from None
        return cls(**{**values, **overrides})


# --- what every service shares ------------------------------------------------------------

@dataclass(frozen=True)
class Settings(FromEnv):
    service: str
    # default: SQLite <var_dir>/<service>.db (embedded development)
    database_url: str = env("DATABASE_URL", "")
    bus_url: str = env("BUS_URL", "memory://")
    var_dir: Path = env("VAR_DIR", PROJECT_ROOT / "var")
    files_dir: Path | None = env("FILES_DIR", None)  # default: <var_dir>/files
    bpmn_dir: Path = env("BPMN_DIR", PROJECT_ROOT / "bpmn")
    # Where a verifier fetches identity's public keys; None means "use the in-process
    # identity app" (embedded mode wires that up).
    jwks_url: str | None = env("JWKS_URL", None)
    # base64 of 32 bytes (RENCAI_PII_KEY or RENCAI_PII_KEY_FILE); None: refused in the stack,
    # generated once into keys_dir in embedded development (services.common.keyring)
    pii_key: str | None = env("PII_KEY", None, secret=True)
    # retired PII keys that still open old values until `python -m services.common.pii rotate`
    pii_key_old: str | None = env("PII_KEY_OLD", None, secret=True)
    # development keys only (embedded, SQLite): apart from the databases; default <var_dir>/keys
    keys_dir: Path | None = env("KEYS_DIR", None)
    token_issuer: str = "rencai-identity"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 7 * 24 * 3600
    bus_max_attempts: int = 3
    bus_retry_backoff: float = 0.05

    def __post_init__(self):
        # The defaults that hang on var_dir (whether it came from RENCAI_VAR_DIR or an
        # override): a frozen dataclass sets them once, here.
        var_dir = Path(self.var_dir)
        derived = {"var_dir": var_dir,
                   "database_url": self.database_url or f"sqlite:///{var_dir / (self.service + '.db')}",
                   "files_dir": Path(self.files_dir or var_dir / "files"),
                   "keys_dir": Path(self.keys_dir or var_dir / "keys")}
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_env(cls, service: str, **overrides) -> "Settings":
        return super().from_env(service=service, **overrides)

    @property
    def development_keys_dir(self) -> Path | None:
        """Where missing keys may be generated: only embedded (SQLite) development; None in
        the stack and in containers (PostgreSQL), where keys must be configured."""
        return self.keys_dir if self.database_url.startswith("sqlite") else None


@dataclass(frozen=True)
class ProcessSettings(FromEnv):
    """What any process of the kit reads, whichever service it runs."""
    log_level: str = env("LOG_LEVEL", "INFO")
    # the migration command provisions each service's own role with this one (migrate.py)
    database_admin_url: str | None = env("DATABASE_ADMIN_URL", None)
    # the performance tests count SQL statements per engine into files there (db.py)
    sql_count_dir: str | None = env("SQL_COUNT_DIR", None)


def service_urls() -> dict[str, str]:
    """Base URLs of the services for the gateway in the stack (RENCAI_<SERVICE>_URL)."""
    return {name: variable(f"{name.upper()}_URL") or f"http://127.0.0.1:{8101 + i}"
            for i, name in enumerate(SERVICES)}
