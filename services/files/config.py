"""files' own settings, from RENCAI_ environment variables through the kit's one loader
(services/common/config.py; its Settings carries what every service shares, these belong
to files alone).

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

from services.common.config import FromEnv, Settings, env
from services.common.keyring import KeyConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class FilesConfig(FromEnv):
    storage: str = env("FILES_STORAGE", "local")
    s3_endpoint_url: str | None = env("S3_ENDPOINT_URL", None)
    s3_bucket: str = env("S3_BUCKET", "rencai-files")
    s3_access_key: str | None = env("S3_ACCESS_KEY", None)
    s3_secret_key: str | None = env("S3_SECRET_KEY", None)
    s3_region: str = env("S3_REGION", "us-east-1")
    link_secret: str | None = env("FILES_LINK_SECRET", None, secret=True)
    link_seconds: int = env("FILES_LINK_SECONDS", 300)
    max_body_bytes: int = env("FILES_MAX_BODY_MB", 20 * MB, parse=lambda mb: int(mb) * MB)

    def __post_init__(self):
        if self.storage not in ("local", "s3"):  # also when built in code (tests, benches)
            raise ValueError("RENCAI_FILES_STORAGE must be 'local' or 's3'")


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
