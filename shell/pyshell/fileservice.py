"""File operations inside grants, as the app server performs them for the app's Python.

Every operation takes a grant id and a path relative to the grant and reaches it through a
``containment.Place``: relative to the descriptor of its folder (``capabilities.Walk``)
where the host has openat-style calls, by checked paths where it does not (Windows), so
nothing can leave the grant. Each operation is written once, for both. The semantics are
the local disk's, because ordinary Python code relies on them: a file exists once ``open``
has created it, every ``write`` reaches the host file before it returns (no buffering here
or in the worker), ``fsync``/``fdatasync`` call the host's own, an unlinked or renamed file
stays usable through its open handles, and times keep their nanoseconds. Crash-safe
replacement is the usual temp-file + fsync + ``os.replace`` pattern (atomic on the host),
not a hidden behaviour of plain writes.

Only regular files and folders are reachable: symlinks are never followed and special
files (FIFOs, devices, sockets) are refused before anything could block on them.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat as stat_mod
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import changes, containment, fileurls, locks
from .capabilities import AccessDenied, Grant, split
from .containment import NONBLOCK, Listing, Place, check_plain, is_link, listable
from .thumbcache import ThumbCache

SMALL_FILE = 64 * 1024  # read-only and smaller than this: content comes with the open
MAX_HANDLES = 4096  # as many descriptors as Pyodide itself has
PERMISSION_BITS = 0o777  # never setuid, setgid or sticky: an app cannot make those

Time = list[int] | str | None  # [seconds, nanoseconds], "now", or None to leave it


def handle_cap(fd_limit: int) -> int:
    """Open files the app may hold: a quarter of the process's descriptor limit (the engine
    and the server's connections need the rest), and never more than Pyodide's own table."""
    return max(64, min(MAX_HANDLES, fd_limit // 4))


def _pair(ns: int) -> list[int]:
    return list(divmod(ns, 1_000_000_000))


def attrs(st: os.stat_result) -> dict[str, Any]:
    """What the worker needs of a stat, times as exact ``[seconds, nanoseconds]`` pairs."""
    return {"mode": st.st_mode, "size": st.st_size, "atime": _pair(st.st_atime_ns),
            "mtime": _pair(st.st_mtime_ns), "ctime": _pair(st.st_ctime_ns),
            "ino": st.st_ino, "dev": st.st_dev, "nlink": st.st_nlink}


def _never(st: os.stat_result) -> bool:
    return False


class Missing(FileNotFoundError):
    """No such name, in a folder the change feed watches: the app may remember that it is
    missing, since the feed reports the name if anyone makes it there."""


@dataclass
class Handle:
    fd: int
    writable: bool
    grant: Grant
    lock: threading.Lock = field(default_factory=threading.Lock)


class FileService:
    """The grants of one app launch and the files it has open."""

    def __init__(self, grants: list[Grant] | None = None, max_handles: int = MAX_HANDLES,
                 thumbs: ThumbCache | None = None) -> None:
        self._grants: dict[str, Grant] = {g.id: g for g in grants or []}
        self._handles: dict[int, Handle] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closing = threading.Event()  # ends locks waiting for another program
        self.max_handles = max_handles
        # How operations stay inside grants: PYSHELL_CONTAINMENT, or what this host allows.
        self.place: type[Place] = containment.choose()
        # Host file operations run here, never on the server's event loop.
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pyshell-fs")
        # Folders the app reached are watched, so the worker may cache what it read of them.
        # Paths (the portable containment) give the feed nothing to watch: nothing is cached.
        self.changes = changes.start(self._grants.get) if self.place.watchable else None
        # ... and workers without a socket (XHR) get the feed's records with their answers.
        self.mailboxes = changes.Mailboxes(self.changes) if self.changes else None
        # Called with a grant's id when it goes (``remove_grant``).
        self._grant_gone: list[Callable[[str], None]] = []
        # Files of grants as URLs the page can load (``fileurls``), told when grants go.
        self.urls = fileurls.FileUrls(self)
        # Thumbnails the page made of grant files, kept for the next launch (``thumbcache``).
        self.thumbs = thumbs

    @property
    def containment(self) -> str:
        """``"descriptor"`` or ``"portable"``: the containment these operations use."""
        return self.place.kind

    # ---- grants -------------------------------------------------------------------------
    def grants(self) -> list[Grant]:
        return list(self._grants.values())

    def add_grant(self, grant: Grant) -> Grant:
        with self._lock:
            self._grants[grant.id] = grant
        return grant

    def remove_grant(self, grant_id: str) -> None:
        """End a grant: no operation reaches it from now on, and whoever listens (the file
        URLs) forgets what it handed out for it."""
        with self._lock:
            gone = self._grants.pop(grant_id, None)
        if gone is not None:
            for listener in list(self._grant_gone):
                listener(grant_id)

    def on_grant_removed(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(grant_id)`` whenever a grant goes."""
        self._grant_gone.append(listener)

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
        if grant.only is not None and not parts:
            return {**_folder_of_one_file(), "w": True}  # never changes: always cacheable
        with self.place(grant, parts) as p:
            watched = self._watch(grant, parts, p.folder_fd)
            try:
                st = p.lstat()
            except FileNotFoundError:
                if watched is _never or not parts:
                    raise
                raise Missing(errno.ENOENT, "no such file or folder") from None
        if is_link(st):
            raise AccessDenied("symlinks are not followed")
        return {**attrs(st), "w": watched(st)}

    def _watch(self, grant: Grant, parts: list[str],
               dir_fd: int | None) -> Callable[[os.stat_result], bool]:
        """Watch ``parts`` (a name in the folder ``dir_fd``, or that folder when empty)
        before reading it; the answer's stat then says whether it may be cached. Without
        a descriptor (the portable containment) nothing is watched, so nothing cached."""
        feed = self.changes
        if feed is None or dir_fd is None or not feed.watch(grant, parts[:-1], dir_fd):
            return _never
        if not parts or feed.watch_file(grant, parts, dir_fd):
            return lambda st: True
        return lambda st: stat_mod.S_ISDIR(st.st_mode)  # folders need only their folder's

    def settle(self) -> None:
        """Every change made on the host so far has gone out to the app (see changes.py)."""
        if self.changes is not None:
            self.changes.settle()

    def listdir(self, grant_id: str, path: str) -> dict[str, Any]:
        """``entries``: [name, attrs] of every file and folder, so listing a folder costs one
        request; ``w``: the folder is watched (the answer may be cached).

        Symlinks and special files are left out: they are not reachable through a grant.
        """
        grant = self._grant(grant_id)
        parts = split(path)
        with self.place(grant, parts) as p, p.folder() as folder:
            feed = self.changes
            watched = feed is not None and folder.fd is not None and feed.watch(
                grant, parts, folder.fd)
            entries = self._entries(grant, parts, folder, watched)
            folder.check()  # portable: still the folder that was checked, or refused
        return {"entries": entries, "w": watched}

    def _entries(self, grant: Grant, parts: list[str], folder: Listing,
                 watched: bool) -> list[list[Any]]:
        """[name, attrs] of the listable entries; each file's own watch comes before its
        stat (see changes.py)."""
        entries = []
        with folder.scandir() as it:
            for entry in it:
                if grant.only is not None and entry.name != grant.only:
                    continue
                mine = watched and (entry.is_dir(follow_symlinks=False) or self._watch_file(
                    grant, [*parts, entry.name], folder.fd))
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if listable(st):
                    entries.append([entry.name, {**attrs(st), "w": mine}])
        return entries

    def _watch_file(self, grant: Grant, parts: list[str], dir_fd: int | None) -> bool:
        feed = self.changes
        return feed is not None and dir_fd is not None and feed.watch_file(grant, parts, dir_fd)

    def mkdir(self, grant_id: str, path: str, mode: int = 0o777) -> dict[str, Any]:
        grant = self._writable(grant_id)
        with self.place(grant, _named(split(path))) as p:
            p.mkdir(mode & PERMISSION_BITS)
            return attrs(p.lstat())

    def rmdir(self, grant_id: str, path: str) -> None:
        grant = self._writable(grant_id)
        with self.place(grant, _named(split(path))) as p:
            p.rmdir()

    def unlink(self, grant_id: str, path: str) -> None:
        grant = self._writable(grant_id)
        with self.place(grant, _named(split(path))) as p:
            if stat_mod.S_ISDIR(p.lstat().st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            p.unlink()

    def rename(self, grant_id: str, path: str, new_grant_id: str, new_path: str) -> None:
        src_grant, dst_grant = self._writable(grant_id), self._writable(new_grant_id)
        src_parts, dst_parts = _named(split(path)), _named(split(new_path))
        if src_grant.id != dst_grant.id:
            raise OSError(errno.EXDEV, "rename across grants")
        with self.place(src_grant, src_parts) as src, self.place(dst_grant, dst_parts) as dst:
            src.rename_to(dst)

    def setattr(self, grant_id: str, path: str, mode: int | None = None,
                atime: Time = None, mtime: Time = None,
                size: int | None = None) -> dict[str, Any]:
        """chmod / utime / truncate by path. The grant's root itself is not the app's."""
        grant = self._writable(grant_id)
        with self.place(grant, _named(split(path))) as p:
            st = p.lstat()
            check_plain(st)
            if mode is not None or size is not None:
                p.change_in_place(st, mode if mode is None else mode & PERMISSION_BITS, size)
            if atime is not None or mtime is not None:
                p.utime(st, _times(st, atime, mtime))
            return attrs(p.lstat())

    def fsyncdir(self, grant_id: str, path: str) -> None:
        """``os.fsync`` of a folder: makes a rename or a new entry in it durable."""
        grant = self._grant(grant_id)
        parts = split(path)
        if grant.only is not None and not parts:
            return
        with self.place(grant, parts) as p:
            p.fsync_folder()

    # ---- open files ---------------------------------------------------------------------
    def open(self, grant_id: str, path: str, *, read: bool = True, write: bool = False,
             create: bool = False, excl: bool = False, trunc: bool = False, mode: int = 0o666,
             inline: bool = False, append: bool = False) -> dict[str, Any]:
        """Open a regular file as ``open(2)`` would: ``{handle, attrs}``.

        A new file is created on the host here, with ``mode`` under the host's umask. With
        ``inline`` a small read-only file comes back whole (``data``) and no handle is kept.
        """
        changes = write or create or trunc
        grant = self._writable(grant_id) if changes else self._grant(grant_id)
        if len(self._handles) >= self.max_handles:
            raise OSError(errno.EMFILE, "too many open files")
        flags = _access(read, write) | NONBLOCK  # a FIFO must never block the server
        flags |= (os.O_CREAT if create else 0) | (os.O_EXCL if excl else 0)
        flags |= os.O_APPEND if append and write else 0  # appends land at the host's end
        parts = _named(split(path))
        with self.place(grant, parts) as p:
            watched = self._watch(grant, parts, p.folder_fd) if inline else _never
            try:
                check_plain(p.lstat())
            except FileNotFoundError:
                if not create:
                    raise
            fd = p.open(flags, mode & PERMISSION_BITS)
        try:
            st = _plain_file(fd)
            if trunc and st.st_size:
                os.ftruncate(fd, 0)
                st = os.fstat(fd)
            if inline and not write and st.st_size < SMALL_FILE:
                data = os.read(fd, SMALL_FILE)
                os.close(fd)
                return {"handle": None, "attrs": attrs(st), "data": data, "w": watched(st)}
        except BaseException:
            os.close(fd)
            raise
        return {"handle": self._register(Handle(fd, write, grant)), "attrs": attrs(st)}

    def open_reader(self, grant_id: str, path: str) -> tuple[int, os.stat_result]:
        """A blocking read-only descriptor of a regular file in a grant, and its stat, for
        serving it (``fileurls``); no handle is kept: the caller closes it. Reached and
        refused as ``open`` does (links, folders, special files)."""
        grant = self._grant(grant_id)
        with self.place(grant, _named(split(path))) as p:
            check_plain(p.lstat())
            fd = p.open(os.O_RDONLY | NONBLOCK)
        try:
            return fd, _plain_file(fd)
        except BaseException:
            os.close(fd)
            raise

    def kept_thumbnail(self, grant_id: str, path: str, px: int) -> tuple[bytes, str] | None:
        """The bytes and type of the ``px`` thumbnail kept of a grant's file as it is now,
        or None; the OSError of an ``open`` where the file cannot be read."""
        return self.thumbs.get(self._thumbnail_key(grant_id, path, px)) if self.thumbs else None

    def keep_thumbnail(self, grant_id: str, path: str, px: int, data: bytes, mime: str) -> None:
        """Keep the thumbnail the page made of a grant's file (ValueError: not JPEG/PNG;
        OSError: the file is out of reach). A full or read-only cache keeps nothing: the
        page makes it again next time."""
        key = self._thumbnail_key(grant_id, path, px)
        if self.thumbs is not None:
            with contextlib.suppress(OSError):
                self.thumbs.put(key, data, mime)

    def _thumbnail_key(self, grant_id: str, path: str, px: int) -> str:
        fd, st = self.open_reader(grant_id, path)  # reached as any read is: inside the grant
        os.close(fd)
        return ThumbCache.key(st, px)

    def read(self, handle: int, offset: int, length: int) -> bytes:
        h = self._handle(handle)
        with h.lock:
            return os.pread(h.fd, length, offset)

    def write(self, handle: int, offset: int, data: bytes) -> dict[str, Any]:
        """Write all of ``data`` at ``offset``; the file's attributes after it."""
        h = self._writing(handle)
        with h.lock:
            view = memoryview(data)
            while view:
                written = os.pwrite(h.fd, view, offset)
                view, offset = view[written:], offset + written
            return attrs(os.fstat(h.fd))

    def truncate_handle(self, handle: int, size: int) -> dict[str, Any]:
        h = self._writing(handle)
        with h.lock:
            os.ftruncate(h.fd, size)
            return attrs(os.fstat(h.fd))

    def fsync(self, handle: int, data_only: bool = False) -> None:
        h = self._handle(handle)
        with h.lock:
            (os.fdatasync if data_only else os.fsync)(h.fd)

    def lock(self, handle: int, how: str, kind: int, start: int,
             length: int) -> dict[str, Any]:
        """fcntl record lock on an open file (see locks.py). Not under the handle's own
        lock: a lock waiting for another program must not hold up reads and writes."""
        return locks.lock(self._handle(handle).fd, how, kind, start, length, self._closing)

    def fstat(self, handle: int) -> dict[str, Any]:
        return attrs(os.fstat(self._handle(handle).fd))

    def fsetattr(self, handle: int, mode: int | None = None, atime: Time = None,
                 mtime: Time = None) -> dict[str, Any]:
        """fchmod / futimens on an open file: works after it was renamed or unlinked."""
        h = self._handle(handle)
        self._writable(h.grant.id)  # a read-only grant's files keep their mode and times
        with h.lock:
            if mode is not None:
                os.fchmod(h.fd, mode & PERMISSION_BITS)
            if atime is not None or mtime is not None:
                os.utime(h.fd, ns=_times(os.fstat(h.fd), atime, mtime))
            return attrs(os.fstat(h.fd))

    def close(self, handle: int) -> None:
        with self._lock:
            h = self._handles.pop(handle, None)
        if h is None:
            raise OSError(errno.EBADF, "bad handle")
        with h.lock:
            os.close(h.fd)

    def close_all(self) -> None:
        """At shutdown. Every write already reached the host file: nothing is lost here."""
        self._closing.set()
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.changes is not None:
            self.changes.close()
        for handle in list(self._handles):
            try:
                self.close(handle)
            except OSError:
                pass

    def open_handles(self) -> int:
        return len(self._handles)

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

    def _writing(self, number: int) -> Handle:
        h = self._handle(number)
        if not h.writable:
            raise OSError(errno.EBADF, "not open for writing")
        return h


def _plain_file(fd: int) -> os.stat_result:
    """The stat of an opened file that must be a regular one; made blocking again."""
    st = os.fstat(fd)
    if stat_mod.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory")
    check_plain(st)
    if NONBLOCK:
        os.set_blocking(fd, True)
    return st


def _named(parts: list[str]) -> list[str]:
    if not parts:
        raise OSError(errno.EPERM, "the grant's root itself cannot be changed")
    return parts


def _access(read: bool, write: bool) -> int:
    if write:
        return os.O_RDWR if read else os.O_WRONLY
    return os.O_RDONLY


def _folder_of_one_file() -> dict[str, Any]:
    return {"mode": stat_mod.S_IFDIR | 0o700, "size": 0, "atime": [0, 0], "mtime": [0, 0],
            "ctime": [0, 0], "ino": 0, "dev": 0, "nlink": 2}


def _times(st: os.stat_result, atime: Time, mtime: Time) -> tuple[int, int]:
    """The ``ns=`` pair for os.utime: exact values, "now", or the current time kept."""
    now = time.time_ns()

    def one(value: Time, current: int) -> int:
        if value is None:
            return current
        if value == "now":
            return now
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) for v in value)):
            raise OSError(errno.EINVAL, "a time is [seconds, nanoseconds]")
        seconds, nanos = value
        if not 0 <= nanos < 1_000_000_000:
            raise OSError(errno.EINVAL, "nanoseconds out of range")
        return seconds * 1_000_000_000 + nanos

    return one(atime, st.st_atime_ns), one(mtime, st.st_mtime_ns)
