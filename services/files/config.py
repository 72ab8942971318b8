"""files' own settings, from RENCAI_ environment variables (the kit's Settings carries what
every service shares; these belong to files alone).

  RENCAI_FILES_STORAGE        local (default: files under RENCAI_FILES_DIR) | s3
  RENCAI_S3_ENDPOINT_URL      e.g. http://minio:9000 (empty: AWS)
  RENCAI_S3_BUCKET            default rencai-files (created if missing)
  RENCAI_S3_ACCESS_KEY, RENCAI_S3_SECRET_KEY, RENCAI_S3_REGION (default us-east-1)
  RENCAI_FILES_LINK_SECRET    signs short-lived view links (or RENCAI_FILES_LINK_SECRET_FILE, a
                              mounted secret); required in the stack, generated into the
                              development keys directory (var/keys/) only when embedded
  RENCAI_FILES_LINK_SECONDS   how long a signed link works (default 300)
  RENCAI_FILES_MAX_BODY_MB    request body limit of the upload (default 20)
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from services.common.config import Settings
from services.common.keyring import KeyConfigError, configured


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"RENCAI_{name}")
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class FilesConfig:
    storage: str = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "rencai-files"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    link_secret: str | None = None
    link_seconds: int = 300
    max_body_bytes: int = 20 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides) -> "FilesConfig":
        values = dict(
            storage=_env("FILES_STORAGE", "local"),
            s3_endpoint_url=_env("S3_ENDPOINT_URL"),
            s3_bucket=_env("S3_BUCKET", "rencai-files"),
            s3_access_key=_env("S3_ACCESS_KEY"),
            s3_secret_key=_env("S3_SECRET_KEY"),
            s3_region=_env("S3_REGION", "us-east-1"),
            link_secret=configured("FILES_LINK_SECRET"),
            link_seconds=int(_env("FILES_LINK_SECONDS", "300")),
            max_body_bytes=int(_env("FILES_MAX_BODY_MB", "20")) * 1024 * 1024,
        )
        values.update(overrides)
        if values["storage"] not in ("local", "s3"):
            raise ValueError("RENCAI_FILES_STORAGE must be 'local' or 's3'")
        return cls(**values)


def link_secret(config: FilesConfig, settings: Settings) -> str:
    """The configured secret; in embedded development, one generated once into the keys
    directory (apart from the databases); in the stack, none is refused."""
    if config.link_secret:
        return config.link_secret
    keys_dir = settings.development_keys_dir
    if keys_dir is None:
        raise KeyConfigError("RENCAI_FILES_LINK_SECRET (or RENCAI_FILES_LINK_SECRET_FILE) is "
                             "required: e.g. from `python -m services.common.keyring new`")
    key_file = keys_dir / "files-link.key"
    legacy = Path(settings.var_dir) / "files-link.key"  # where older versions kept it
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if legacy.exists():
            legacy.replace(key_file)
        try:  # exclusive create: of two processes starting at once, one writes the key
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
        except FileExistsError:
            pass
    return key_file.read_text().strip()
