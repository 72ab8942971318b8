"""Keys kept apart from the data: where a key comes from, its id, and sealing under it.

A key is 32 random bytes, base64-encoded, read from the environment (`RENCAI_<NAME>`) or from
a file (`RENCAI_<NAME>_FILE`, e.g. a compose secret mounted at /run/secrets/...); never from
the repository. Retired keys that must still open old values during a rotation are listed
in `RENCAI_<NAME>_OLD` (or `_OLD_FILE`), whitespace- or comma-separated.

Every sealed value names its key: `v2:<kid>:<base64(nonce + AES-GCM ciphertext)>`, the kid
being the first 8 hex digits of the key's SHA-256 — so values sealed before a rotation stay
readable while the old key is configured, and a rotation can tell what is left to re-seal.

In the stack (PostgreSQL) a missing key, or a demonstration key (one that is readable text,
like the ones published in this repository), refuses to start. Only the embedded
development mode (SQLite) generates missing keys, into a keys directory apart from the
databases (var/keys/, 0600), and says so.

    python -m services.common.keyring new               prints a fresh key
    python -m services.common.keyring new FILE ...      writes one into each FILE that does
                                                        not exist yet (0600), e.g. the secrets
                                                        compose mounts and `make stack` reads
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = re.compile(r"^v2:([0-9a-f]{8}):")
LEGACY_PREFIX = "v1:"  # before key ids: sealed under whichever key was configured then


class KeyConfigError(ValueError):
    """A key that is missing, malformed or a demonstration key where a real one is needed."""


def new_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def is_demo_key(key: bytes) -> bool:
    """Random bytes are practically never all printable ASCII ((95/256)^32 ≈ 1e-14); a key
    that is readable text was typed by someone — and the ones in the repository are."""
    return all(32 <= byte < 127 for byte in key)


def _decode(name: str, value: str) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"RENCAI_{name} must be base64 of 32 bytes") from None
    if len(key) != 32:
        raise KeyConfigError(f"RENCAI_{name} must be base64 of 32 bytes, is {len(key)} bytes")
    return key


def configured(name: str) -> str | None:
    """`RENCAI_<name>` or the content of the file `RENCAI_<name>_FILE` (not both)."""
    # Read from os.environ, not through the kit's loader: this *is* the loader's way of
    # reading a secret (config.py's env(secret=True) calls it, so importing config here would
    # be a circle), and the variable's name is computed from the caller's key name.
    value, path = os.environ.get(f"RENCAI_{name}"), os.environ.get(f"RENCAI_{name}_FILE")
    if value and path:
        raise KeyConfigError(f"set RENCAI_{name} or RENCAI_{name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text().strip() or None
        except OSError as error:
            raise KeyConfigError(f"RENCAI_{name}_FILE={path} cannot be read: {error.strerror}") from None
    return value or None


class Keyring:
    """The current key (seals, and keys blind indexes) and retired ones (only open)."""

    def __init__(self, name: str, current: bytes, old: list[bytes] = ()):
        self.name = name
        self.current = current
        self.kid = key_id(current)
        self.keys = {key_id(key): key for key in [*old, current]}

    @classmethod
    def load(cls, name: str, *, current: str | None, old: str | None = None,
             development_dir: Path | None = None, legacy_file: Path | None = None) -> "Keyring":
        """`development_dir` None: a deployment — the key must be given and not a demo key.
        Otherwise a missing key is generated once into development_dir/<name>.key (or moved
        there from `legacy_file`, where older versions kept it beside the databases)."""
        if current is None:
            if development_dir is None:
                raise KeyConfigError(
                    f"RENCAI_{name} (or RENCAI_{name}_FILE) is required: base64 of 32 random "
                    "bytes, e.g. from `python -m services.common.keyring new`")
            current = _development_key(name, development_dir, legacy_file)
        key = _decode(name, current)
        if development_dir is None and is_demo_key(key):
            raise KeyConfigError(f"RENCAI_{name} is a demonstration key (readable text, published "
                            "with the code); generate one: python -m services.common.keyring new")
        retired = [_decode(f"{name}_OLD", part) for part in re.split(r"[\s,]+", old or "") if part]
        return cls(name, key, retired)

    @classmethod
    def from_env(cls, name: str, development_dir: Path | None = None,
                 legacy_file: Path | None = None) -> "Keyring":
        return cls.load(name, current=configured(name), old=configured(f"{name}_OLD"),
                        development_dir=development_dir, legacy_file=legacy_file)

    def seal(self, plaintext: bytes) -> str:
        header = f"v2:{self.kid}:"
        nonce = os.urandom(12)
        sealed = AESGCM(self.current).encrypt(nonce, plaintext, header.encode())
        return header + base64.b64encode(nonce + sealed).decode()

    def open(self, token: str) -> bytes:
        match = SEALED.match(token)
        if match:
            key = self.keys.get(match.group(1))
            if key is None:
                raise InvalidTag(f"sealed under key {match.group(1)}, which RENCAI_{self.name} "
                                 f"and RENCAI_{self.name}_OLD do not hold")
            raw = base64.b64decode(token[match.end():])
            return AESGCM(key).decrypt(raw[:12], raw[12:], match.group(0).encode())
        raw = base64.b64decode(token.removeprefix(LEGACY_PREFIX))
        for key in [self.current, *self.keys.values()]:  # no id: try each held key
            try:
                return AESGCM(key).decrypt(raw[:12], raw[12:], None)
            except InvalidTag:
                continue
        raise InvalidTag("sealed under none of the configured keys")

    def is_current(self, token: str) -> bool:
        return token.startswith(f"v2:{self.kid}:")


def _development_key(name: str, directory: Path, legacy_file: Path | None) -> str:
    path = directory / f"{name.lower()}.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        if legacy_file is not None and legacy_file.exists():
            legacy_file.replace(path)
            path.chmod(0o600)
            _say(f"development key RENCAI_{name} moved from {legacy_file}, beside the "
                 f"databases, into {path}")
        elif write_new_key(path):  # exclusive: of two processes starting at once, one writes
            _say(f"development key RENCAI_{name} generated into {path} — for this machine "
                 f"only; a deployment sets RENCAI_{name} or RENCAI_{name}_FILE")
    return path.read_text().strip()


def write_new_key(path: Path) -> bool:
    """A fresh key into `path` unless it exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(new_key() + "\n")
    return True


def _say(message: str) -> None:
    # stderr, not the log: it may come before logging is configured, and must be seen.
    print(f"rencai: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] != ["new"]:
        sys.exit(__doc__)
    if not sys.argv[2:]:
        print(new_key())
    for name in sys.argv[2:]:
        if write_new_key(Path(name)):
            print(f"new key written to {name}")
