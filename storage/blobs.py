"""The content-addressed raw store: every body saved once under its sha256, never rewritten."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class RawStore:
    """Raw bodies in sharded folders: `<root>/ab/cd/abcd...`.

    Writes are atomic (temporary file in the same folder, fsync, rename), so a kill at any moment
    leaves either no file or the complete file. The same bytes fetched from two URLs are stored once.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, body: bytes) -> str:
        """Store `body` (if new) and return its sha256."""
        digest = sha256_hex(body)
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(body):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, digest: str) -> bytes:
        """The stored bytes; raises FileNotFoundError naming the digest when absent."""
        path = self.path(digest)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"raw body {digest} is not in the raw store at {self.root}") from None

    def verify(self, digest: str) -> bool:
        """True when the stored file still hashes to its name."""
        return sha256_hex(self.get(digest)) == digest


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
