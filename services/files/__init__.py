"""files: the catalogue of attachment types and the attachments people and units upload
(ID photos, degree certificates, business licences, ...), stored on local disk or in an
S3-compatible bucket; locked and shared with reviewers as workflow's events tell."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from services.common.app import create_service_app
from services.common.auth import TokenVerifier
from services.common.config import Settings

from . import api, events
from .config import FilesConfig, link_secret
from .model import BUS
from .service import sweep
from .spool import UploadRequest, discard_spools
from .storage import Storage, make_storage

# Room for a file at the largest size limit plus the multipart envelope around it.
MULTIPART_MARGIN = 256 * 1024


@dataclass
class FilesRuntime:
    config: FilesConfig
    storage: Storage
    link_secret: str

    @property
    def max_file_bytes(self) -> int:
        """The largest size limit a type may have: what fits in one request body."""
        return self.config.max_body_bytes - MULTIPART_MARGIN


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None,
               config: FilesConfig | None = None, storage: Storage | None = None) -> Flask:
    settings = settings or Settings.from_env("files")
    config = config or FilesConfig.from_env()
    # Above every type's size limit so an oversize file gets our clear 422, not a bare 413.
    app = create_service_app(settings, title="Rencai files", tables=BUS,
                             handlers=events.handlers, blueprints=[api.blp],
                             verifier=verifier, max_body_bytes=config.max_body_bytes)
    # Uploads are written once, into the storage's temp directory, as they are parsed.
    app.request_class = UploadRequest
    app.teardown_request(discard_spools)
    storage = storage or make_storage(config, settings.files_dir)
    app.extensions["rencai.files"] = FilesRuntime(config, storage,
                                                  link_secret(config, settings))
    # What a crash between storing and recording left behind, swept hourly from the bus
    # worker's rounds (one worker process in the stack, not every web worker).
    kit = app.extensions["rencai.kit"]
    kit.worker.every(3600, lambda: sweep(kit.db, storage))
    return app
