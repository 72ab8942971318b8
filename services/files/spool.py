"""Where the multipart parser writes an uploaded file: straight into storage's temp
directory, checked as it arrives (size, sha256, the head and tail the magic-byte sniff
reads), in 4 MiB blocks hashed and written on a thread beside the request's, the disk's
writeback started as they go, and one fsync at the end. Werkzeug's default would spool it
to /tmp first and `receive` would copy it again: two writes of every byte, no fsync.

The files app's request class (UploadRequest) hands the parser an UploadSpool; `receive`
takes it over (`take`) when the upload reaches it, and whatever a refused request left is
removed at its teardown (and by storage.sweep after a crash: the name ends in .part).
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from flask import Request, current_app, g
from werkzeug.exceptions import ClientDisconnected

from .model import PDF_TAIL_BYTES

READ_BUFFER = 1024 * 1024
SMALL = 500 * 1024  # below this werkzeug's in-memory spool is cheaper
# The parser's pieces (64 KiB) are gathered into blocks of BLOCK; a writer thread hashes and
# writes one block while the request's thread receives and parses the next. Both sha256 (about
# 0.3 s per 100 MiB on this machine) and write(2) release the GIL, so they run beside it.
# 4 MiB: at 1 MiB, handing the GIL back and forth four times as often cost a third of the
# throughput (120 against 200 MiB/s through the stack); two blocks held per upload at most.
BLOCK = 4 * 1024 * 1024
_WRITERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="upload-spool")
# The kernel is asked to start writing back every WRITEBACK bytes, so the disk works while the
# upload still arrives and the fsync at the end waits only for the last few MiB.
WRITEBACK = 8 * 1024 * 1024


class UploadSpool:
    """A temp file of the storage's that hashes what is written to it."""

    def __init__(self, directory: Path):
        fd, name = tempfile.mkstemp(dir=directory, suffix=".part")
        self.path = Path(name)
        self.file = os.fdopen(fd, "w+b", buffering=0)  # our blocks go straight to write(2)
        self.size, self.digest, self.head, self.tail = 0, hashlib.sha256(), b"", b""
        self.block = bytearray()
        self.pending: Future | None = None  # the block being hashed and written
        self.written = self.advised = 0
        self.taken = False

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if len(self.head) < 16:
            self.head = (self.head + data)[:16]
        self.tail = (self.tail + data[-PDF_TAIL_BYTES:])[-PDF_TAIL_BYTES:]
        self.block += data
        if len(self.block) >= BLOCK:
            self._hand_over()
        return len(data)

    def _hand_over(self) -> None:
        """The block goes to a writer thread once the one before it is done: in order, and
        never more than two blocks held."""
        self._settle()
        block, self.block = self.block, bytearray()
        self.pending = _WRITERS.submit(self._absorb, block)

    def _settle(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()  # what the writer raised (a full disk) is the request's error

    def _absorb(self, block: bytearray) -> None:
        self.digest.update(block)
        view = memoryview(block)
        while view:
            view = view[self.file.write(view):]
        self.written += len(block)
        if self.written - self.advised >= WRITEBACK and hasattr(os, "posix_fadvise"):
            # On Linux, DONTNEED starts the writeback of these dirty pages (and keeps a
            # 100 MB upload from pushing other files out of the page cache).
            os.posix_fadvise(self.file.fileno(), self.advised, self.written - self.advised,
                             os.POSIX_FADV_DONTNEED)
            self.advised = self.written

    def _flush(self) -> None:
        """Everything written so far is in the file."""
        if self.block:
            self._hand_over()
        self._settle()

    # What FileStorage and the parser use of a file.
    def read(self, size: int = -1) -> bytes:
        self._flush()
        return self.file.read(size)

    def readline(self, size: int = -1) -> bytes:
        self._flush()
        return self.file.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._flush()
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        self._flush()
        return self.file.tell()

    def close(self) -> None:
        if not self.file.closed:
            self._flush()
            self.file.close()

    def take(self) -> tuple[Path, int, str, bytes, bytes]:
        """Durable on disk (one fsync) and now the caller's: path, size, sha256, head, tail."""
        self._flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.taken = True
        return self.path, self.size, self.digest.hexdigest(), self.head, self.tail

    def discard(self) -> None:
        if not self.taken:
            self.block = bytearray()
            try:
                self._settle()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass
            self.file.close()
            self.path.unlink(missing_ok=True)


class _ServerInput(io.RawIOBase):
    """The WSGI server's input as a raw stream, for io.BufferedReader to read in big pieces
    (werkzeug's parser reads 64 KiB at a time, and gunicorn's input copies what it read
    ahead, up to 1 MiB, on every read: each MiB was copied about 16 times). A body that
    ends before its Content-Length is the client gone (gunicorn's input just ends)."""

    def __init__(self, stream, length: int):
        self.stream, self.left = stream, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer)[:min(len(buffer), self.left)]
        if not view:
            return 0
        if hasattr(self.stream, "readinto"):  # werkzeug's (embedded), not gunicorn's
            count = self.stream.readinto(view)
        else:
            data = self.stream.read(len(view))
            count = len(data)
            view[:count] = data
        if not count:
            raise ClientDisconnected()
        self.left -= count
        return count


class UploadRequest(Request):
    """A large body is read from the server in 1 MiB pieces, and a large file part goes to
    an UploadSpool in the storage's temp directory."""

    def __init__(self, environ, populate_request=True, shallow=False):
        length = environ.get("CONTENT_LENGTH", "")
        if length.isdigit() and int(length) > SMALL:
            environ["wsgi.input"] = io.BufferedReader(
                _ServerInput(environ["wsgi.input"], int(length)), READ_BUFFER)
        super().__init__(environ, populate_request, shallow)

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        if total_content_length is None or total_content_length <= SMALL:
            return super()._get_file_stream(total_content_length, content_type, filename,
                                            content_length)
        spool = UploadSpool(current_app.extensions["rencai.files"].storage.tmp_dir)
        g.setdefault("upload_spools", []).append(spool)
        return spool


def discard_spools(_error=None) -> None:
    """Teardown: a spool no upload took (a refused request) is removed."""
    for spool in g.pop("upload_spools", []):
        spool.discard()
