"""Thumbnails, kept on disk for the next launch (``pyshell.files.thumbnail``).

Made by a sandboxed decoder (``thumbmaker``), or by the page where none runs; this module
only keeps the bytes and never decodes them. Each is keyed by the file it
was made from (its device, inode, size and modification time, read through the grant) and
its size in pixels, so a changed file never shows an old picture. Kept in pyshell's cache
folder per app, private to the user; past ``LIMIT`` bytes the least recently used go.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

LIMIT = 256 * 1024 * 1024
KINDS = {"image/jpeg": ".jpg", "image/png": ".png"}


class ThumbCache:
    """One app's kept thumbnails."""

    def __init__(self, root: Path, limit: int = LIMIT) -> None:
        self.root, self.limit = root, limit
        self._lock = threading.Lock()

    @staticmethod
    def key(st: os.stat_result, px: int) -> str:
        made_from = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{px}"
        return hashlib.sha256(made_from.encode()).hexdigest()[:40]

    def get(self, key: str) -> tuple[bytes, str] | None:
        for mime, suffix in KINDS.items():
            path = self.root / (key + suffix)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            os.utime(path)  # recently used: kept longest
            return data, mime
        return None

    def put(self, key: str, data: bytes, mime: str) -> None:
        """Keep ``data`` (a JPEG or PNG thumbnail); ValueError for another type."""
        suffix = KINDS.get(mime)
        if suffix is None:
            raise ValueError(f"a kept thumbnail is a JPEG or PNG, not {mime!r}")
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self.root / f".{key}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temporary, self.root / (key + suffix))
            self._trim()

    def _trim(self) -> None:
        kept = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in self.root.iterdir()
                      if p.suffix in KINDS.values())
        total = sum(size for _, size, _ in kept)
        for _, size, path in kept:
            if total <= self.limit:
                break
            path.unlink(missing_ok=True)
            total -= size
