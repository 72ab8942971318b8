"""Where the bytes live: a local directory (embedded default, under var/files) or an
S3-compatible bucket (MinIO in compose, boto3). Metadata stays in files' database.

Every upload is first streamed to a temp file under `tmp_dir` (checked while it streams),
then `put` under a key that nothing user-chosen goes into. The row is committed after the
put; if the commit fails the object is deleted again, and `sweep` removes what a crash
between the two left behind (objects without a row, temp files), after a grace period.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from .config import FilesConfig

CHUNK_BYTES = 64 * 1024


class Storage(Protocol):
    tmp_dir: Path

    def put(self, key: str, source: Path) -> None:
        """Stores the temp file `source` under `key` (the temp file is gone afterwards)."""

    def open(self, key: str) -> tuple[BinaryIO, int]:
        """A readable stream of the object and its size; FileNotFoundError if missing."""

    def delete(self, key: str) -> None:
        """Removes the object; a missing one is not an error."""

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        """Stored keys last written more than `seconds` ago."""


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        # Same filesystem as the objects, so `put` is an atomic rename.
        self.tmp_dir = self.root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, source: Path) -> None:
        target = self._path(key)
        made = [d for d in (target.parent.parent, target.parent) if not d.is_dir()]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        # The bytes were fsynced before (spool.py, receive); the rename and any directory it
        # needed are only durable once their directories are: before the row says "stored".
        for directory in {target.parent, *(d.parent for d in made)}:
            _fsync_directory(directory)

    def open(self, key: str) -> tuple[BinaryIO, int]:
        path = self._path(key)
        stream = open(path, "rb")
        return stream, os.fstat(stream.fileno()).st_size

    def path(self, key: str) -> Path:
        return self._path(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        for path in self.root.rglob("*"):
            if path.is_file() and self.tmp_dir not in path.parents \
                    and path.stat().st_mtime < cutoff:
                yield path.relative_to(self.root).as_posix()


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    def __init__(self, config: FilesConfig, tmp_dir: Path, client=None):
        import boto3
        from botocore.config import Config

        self.bucket = config.s3_bucket
        self.client = client or boto3.client(
            "s3", endpoint_url=config.s3_endpoint_url, region_name=config.s3_region,
            aws_access_key_id=config.s3_access_key, aws_secret_access_key=config.s3_secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                          connect_timeout=5, read_timeout=60))
        # Multipart in 8 MB parts, at most 4 in flight: bounded memory whatever the size.
        from boto3.s3.transfer import TransferConfig

        self.transfer = TransferConfig(multipart_threshold=8 * 1024 * 1024,
                                       multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
        self.tmp_dir = Path(tmp_dir)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True

    def put(self, key: str, source: Path) -> None:
        self._ensure_bucket()
        try:
            # Multipart for big files, read from disk chunk by chunk.
            self.client.upload_file(str(source), self.bucket, key, Config=self.transfer)
        finally:
            Path(source).unlink(missing_ok=True)

    def open(self, key: str) -> tuple[BinaryIO, int]:
        from botocore.exceptions import ClientError

        self._ensure_bucket()
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from error
            raise
        return obj["Body"], obj["ContentLength"]

    def delete(self, key: str) -> None:
        self._ensure_bucket()
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        self._ensure_bucket()
        cutoff = time.time() - seconds
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                if obj["LastModified"].timestamp() < cutoff:
                    yield obj["Key"]


def make_storage(config: FilesConfig, files_dir: Path) -> Storage:
    if config.storage == "s3":
        return S3Storage(config, Path(files_dir) / "tmp")
    return LocalStorage(Path(files_dir))
