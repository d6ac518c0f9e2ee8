"""File operations inside grants, as the app server performs them for the app's Python.

Every operation takes a grant id and a path relative to the grant, walks to it with
``capabilities.Walk`` and works relative to that folder's descriptor. Whole-file writes are
atomic: opening with truncation (``open(p, "w")``, ``write_text``, ``shutil.copy``) or
creating a new file writes to a hidden temp file beside the target, and closing fsyncs it
and renames it over the target, so the file holds either its old or its complete new
content. Append and read-write opens (``"a"``, ``"r+"``, sqlite) change the file in place,
as on POSIX, and ``fsync`` reaches the disk.
"""

from __future__ import annotations

import errno
import itertools
import os
import secrets
import stat as stat_mod
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .capabilities import TEMP_MARK, AccessDenied, Grant, Walk, open_nofollow, split

SMALL_FILE = 64 * 1024  # opened read-only and smaller than this: content comes with the open
MAX_HANDLES = 1024
STALE_TEMP_SECONDS = 60  # a temp file this old was left by a killed writer


def attrs(st: os.stat_result) -> dict[str, Any]:
    return {"mode": st.st_mode, "size": st.st_size, "mtime": st.st_mtime_ns // 1_000_000,
            "atime": st.st_atime_ns // 1_000_000, "ctime": st.st_ctime_ns // 1_000_000,
            "ino": st.st_ino, "nlink": st.st_nlink}


@dataclass
class Handle:
    fd: int
    writable: bool
    grant: Grant
    parts: list[str]
    temp: str | None = None  # name of the temp file (writes), beside the target
    lock: threading.Lock = field(default_factory=threading.Lock)


class FileService:
    """The grants of one app launch and the files it has open."""

    def __init__(self, grants: list[Grant] | None = None) -> None:
        self._grants: dict[str, Grant] = {g.id: g for g in grants or []}
        self._handles: dict[int, Handle] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # ---- grants -------------------------------------------------------------------------
    def grants(self) -> list[Grant]:
        return list(self._grants.values())

    def add_grant(self, grant: Grant) -> Grant:
        with self._lock:
            self._grants[grant.id] = grant
        return grant

    def _grant(self, grant_id: str) -> Grant:
        grant = self._grants.get(grant_id)
        if grant is None:
            raise AccessDenied("no such grant")
        return grant

    def _writable(self, grant_id: str) -> Grant:
        grant = self._grant(grant_id)
        if not grant.writable:
            raise AccessDenied("read-only grant")
        return grant

    # ---- metadata ---------------------------------------------------------------------
    def stat(self, grant_id: str, path: str) -> dict[str, Any]:
        grant = self._grant(grant_id)
        parts = split(path)
        with Walk(grant, parts) as w:
            st = os.stat(w.name or ".", dir_fd=w.fd, follow_symlinks=False)
        if stat_mod.S_ISLNK(st.st_mode):
            raise AccessDenied("symlinks are not followed")
        return attrs(st)

    def listdir(self, grant_id: str, path: str) -> list[list[Any]]:
        """[name, attrs] of every entry, so listing a folder costs one request."""
        grant = self._grant(grant_id)
        parts = split(path)
        with Walk(grant, parts) as w:
            fd = self._open_dir(w)
        entries = []
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    if TEMP_MARK in entry.name or entry.is_symlink():
                        continue
                    if grant.only is not None and entry.name != grant.only:
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    entries.append([entry.name, attrs(st)])
        finally:
            os.close(fd)
        return entries

    def mkdir(self, grant_id: str, path: str, mode: int = 0o777) -> dict[str, Any]:
        grant = self._writable(grant_id)
        parts = self._named(split(path))
        with Walk(grant, parts) as w:
            os.mkdir(w.name, mode & 0o777, dir_fd=w.fd)
            return attrs(os.stat(w.name, dir_fd=w.fd, follow_symlinks=False))

    def rmdir(self, grant_id: str, path: str) -> None:
        grant = self._writable(grant_id)
        parts = self._named(split(path))
        with Walk(grant, parts) as w:
            os.rmdir(w.name, dir_fd=w.fd)

    def unlink(self, grant_id: str, path: str) -> None:
        grant = self._writable(grant_id)
        parts = self._named(split(path))
        with Walk(grant, parts) as w:
            st = os.stat(w.name, dir_fd=w.fd, follow_symlinks=False)
            if stat_mod.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            os.unlink(w.name, dir_fd=w.fd)

    def rename(self, grant_id: str, path: str, new_grant_id: str, new_path: str) -> None:
        src_grant, dst_grant = self._writable(grant_id), self._writable(new_grant_id)
        src_parts, dst_parts = self._named(split(path)), self._named(split(new_path))
        if src_grant.root != dst_grant.root and src_grant.id != dst_grant.id:
            raise OSError(errno.EXDEV, "rename across grants")
        with Walk(src_grant, src_parts) as src, Walk(dst_grant, dst_parts) as dst:
            os.rename(src.name, dst.name, src_dir_fd=src.fd, dst_dir_fd=dst.fd)

    def setattr(self, grant_id: str, path: str, mode: int | None = None,
                mtime: int | None = None, atime: int | None = None,
                size: int | None = None) -> dict[str, Any]:
        grant = self._writable(grant_id)
        parts = split(path)
        with Walk(grant, parts) as w:
            name = w.name or "."
            if mode is not None:  # through a no-follow descriptor: chmod would follow links
                fd = self._open_nofollow(w, os.O_RDONLY)
                try:
                    os.fchmod(fd, mode & 0o7777)
                finally:
                    os.close(fd)
            if mtime is not None or atime is not None:
                st = os.stat(name, dir_fd=w.fd, follow_symlinks=False)
                times = ((atime or st.st_atime_ns // 1_000_000) * 1_000_000,
                         (mtime or st.st_mtime_ns // 1_000_000) * 1_000_000)
                os.utime(name, ns=times, dir_fd=w.fd, follow_symlinks=False)
            if size is not None:
                self._truncate(w, size)
            return attrs(os.stat(name, dir_fd=w.fd, follow_symlinks=False))

    # ---- open files ---------------------------------------------------------------------
    def open(self, grant_id: str, path: str, write: bool = False, create: bool = False,
             atomic: bool = False) -> dict[str, Any]:
        """Open for reading (small files come back whole) or for writing.

        ``atomic`` (whole-file writes: truncating or brand-new files) writes to a hidden temp
        file that replaces the target on close; otherwise writes go to the file in place,
        as POSIX does for append and random access.
        """
        grant = self._writable(grant_id) if write else self._grant(grant_id)
        parts = self._named(split(path))
        if len(self._handles) >= MAX_HANDLES:
            raise OSError(errno.EMFILE, "too many open files")
        w = Walk(grant, parts)
        try:
            if write:
                return self._open_write(w, grant, parts, create, atomic)
            return self._open_read(w, grant, parts)
        finally:
            os.close(w.fd)

    def _open_read(self, w: Walk, grant: Grant, parts: list[str]) -> dict[str, Any]:
        fd = self._open_nofollow(w, os.O_RDONLY)
        st = os.fstat(fd)
        if stat_mod.S_ISDIR(st.st_mode):
            os.close(fd)
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if st.st_size < SMALL_FILE:
            try:
                data = os.read(fd, SMALL_FILE)
            finally:
                os.close(fd)
            return {"handle": None, "attrs": attrs(st), "data": data}
        return {"handle": self._register(Handle(fd, False, grant, parts)), "attrs": attrs(st)}

    def _open_write(self, w: Walk, grant: Grant, parts: list[str], create: bool,
                    atomic: bool) -> dict[str, Any]:
        try:
            old = os.stat(w.name, dir_fd=w.fd, follow_symlinks=False)
        except FileNotFoundError:
            if not (create or atomic):
                raise
            old = None
        if old is not None and stat_mod.S_ISDIR(old.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if old is not None and not stat_mod.S_ISREG(old.st_mode):
            raise AccessDenied("not a regular file")
        temp = None
        if atomic:
            temp = f".{w.name[:180]}.{secrets.token_hex(6)}{TEMP_MARK}"
            mode = stat_mod.S_IMODE(old.st_mode) if old else 0o666
            fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         mode, dir_fd=w.fd)
            if old is not None:
                os.fchmod(fd, mode)  # the umask must not narrow an existing file's mode
        else:
            fd = self._open_nofollow(w, os.O_RDWR | (os.O_CREAT if create else 0))
        handle = self._register(Handle(fd, True, grant, parts, temp))
        return {"handle": handle, "attrs": attrs(os.fstat(fd))}

    def read(self, handle: int, offset: int, length: int) -> bytes:
        h = self._handle(handle)
        with h.lock:
            return os.pread(h.fd, length, offset)

    def write(self, handle: int, offset: int, data: bytes) -> int:
        h = self._handle(handle)
        if not h.writable:
            raise OSError(errno.EBADF, "not open for writing")
        with h.lock:
            view = memoryview(data)
            while view:
                written = os.pwrite(h.fd, view, offset)
                view, offset = view[written:], offset + written
            return os.fstat(h.fd).st_size

    def truncate_handle(self, handle: int, size: int) -> int:
        h = self._handle(handle)
        if not h.writable:
            raise OSError(errno.EBADF, "not open for writing")
        with h.lock:
            os.ftruncate(h.fd, size)
        return size

    def fsync(self, handle: int) -> None:
        h = self._handle(handle)
        with h.lock:
            os.fsync(h.fd)

    def fstat(self, handle: int) -> dict[str, Any]:
        return attrs(os.fstat(self._handle(handle).fd))

    def close(self, handle: int, commit: bool = True) -> dict[str, Any] | None:
        """Close; for a write, fsync the temp file and rename it over the target."""
        with self._lock:
            h = self._handles.pop(handle, None)
        if h is None:
            raise OSError(errno.EBADF, "bad handle")
        with h.lock:
            if h.temp is None:
                st = os.fstat(h.fd)
                os.close(h.fd)
                return attrs(st) if h.writable else None
            try:
                os.fsync(h.fd)
                st = os.fstat(h.fd)
            finally:
                os.close(h.fd)
            with Walk(h.grant, h.parts) as w:
                if commit:
                    os.rename(h.temp, w.name, src_dir_fd=w.fd, dst_dir_fd=w.fd)
                    _fsync_dir(w.fd)
                    self._sweep_stale(w)
                else:
                    os.unlink(h.temp, dir_fd=w.fd)
            return attrs(st)

    def close_all(self) -> None:
        """At shutdown: unfinished writes are dropped, never half-applied."""
        for handle in list(self._handles):
            try:
                self.close(handle, commit=False)
            except OSError:
                pass

    # ---- helpers ------------------------------------------------------------------------
    def _register(self, handle: Handle) -> int:
        with self._lock:
            number = next(self._ids)
            self._handles[number] = handle
        return number

    def _handle(self, number: int) -> Handle:
        h = self._handles.get(number)
        if h is None:
            raise OSError(errno.EBADF, "bad handle")
        return h

    @staticmethod
    def _named(parts: list[str]) -> list[str]:
        if not parts:
            raise AccessDenied("the grant's root itself cannot be changed")
        return parts

    @staticmethod
    def _open_nofollow(w: Walk, flags: int) -> int:
        return open_nofollow(w.name or ".", flags, w.fd)

    @staticmethod
    def _open_dir(w: Walk) -> int:
        return open_nofollow(w.name or ".", os.O_RDONLY | os.O_DIRECTORY, w.fd)

    def _sweep_stale(self, w: Walk) -> None:
        """Remove temp files of this name left by killed writers (older than a minute)."""
        prefix = f".{w.name[:180]}."
        live = {h.temp for h in self._handles.values()}
        cutoff = time.time() - STALE_TEMP_SECONDS
        with os.scandir(w.fd) as it:
            for entry in it:
                if (entry.name.startswith(prefix) and entry.name.endswith(TEMP_MARK)
                        and entry.name not in live):
                    try:
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            os.unlink(entry.name, dir_fd=w.fd)
                    except OSError:
                        pass

    def _truncate(self, w: Walk, size: int) -> None:
        if w.name is None:
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        fd = self._open_nofollow(w, os.O_WRONLY)
        try:
            if stat_mod.S_ISDIR(os.fstat(fd).st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            os.ftruncate(fd, size)
        finally:
            os.close(fd)


def _fsync_dir(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a folder; the rename is still atomic
