"""Changes to granted folders, pushed to the app so its file cache can trust what it holds.

The worker may answer stat, listdir and small-file reads from memory only for what is
watched here: every watch is in place before the answer it covers is read from the disk,
and every change the kernel reports goes out to the worker as a record naming what to
forget. A folder's watch sees its names come and go and its files written through them;
a regular file also gets a watch of its own, since a hard link made or written elsewhere
(or its link count changing) is reported to that file's watchers only. Whatever is not
watched (no inotify on this host, the watch limit reached) is simply not cacheable, and
the worker asks the host every time.

Records are ``[kind, grant id, path]``: ``"n"`` a name came, went or moved (forget the
path, everything under it, and its folder's listing), ``"a"`` the content or attributes
of the path changed, ``"*"`` forget everything of the grant (the kernel's queue
overflowed, or the grant's root moved).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .capabilities import Grant

Record = list[str]
Listener = Callable[[list[Record]], None]

IN_MODIFY, IN_ATTRIB = 0x2, 0x4
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
IN_ONLYDIR, IN_DONT_FOLLOW, IN_CLOEXEC, IN_NONBLOCK = 0x01000000, 0x02000000, 0o2000000, 0o4000
NAMES = IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
CONTENT = IN_MODIFY | IN_ATTRIB
GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
MASK = NAMES | CONTENT | IN_DELETE_SELF | IN_MOVE_SELF
EVENT = struct.Struct("iIII")
# Filesystems another machine (or a user-space server) can change without the kernel here
# hearing of it: NFS, SMB/CIFS, FUSE, 9p, AFS, Ceph, Coda, NCP, GFS2, OCFS2.
REMOTE = {0x6969, 0x517B, 0xFF534D42, 0xFE534D42, 0x65735546, 0x01021997, 0x5346414F,
          0x00C36400, 0x73757245, 0x564C, 0x01161970, 0x7461636F}


def _watch_budget() -> int:
    """A quarter of the user's inotify watches, at most 65,536: beyond it nothing new is
    cached, and other programs' watches are left their share."""
    try:
        with open("/proc/sys/fs/inotify/max_user_watches") as f:
            return max(1024, min(65536, int(f.read()) // 4))
    except (OSError, ValueError):
        return 8192


@dataclass
class _Watched:
    """One kernel watch: the folder it covers, as each grant that reached it names it."""

    places: set[tuple[str, str]] = field(default_factory=set)  # (grant id, relative path)


class ChangeFeed:
    """inotify watches on the folders the app has reached, and who to tell of changes."""

    def __init__(self, grants: Callable[[str], Grant | None]) -> None:
        self._grant = grants
        self._libc = ctypes.CDLL(None, use_errno=True)
        fd = self._libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self._fd = fd
        self._watches: dict[int, _Watched] = {}
        self._budget = _watch_budget()
        self._lock = threading.Lock()  # watches, and the order records go out in
        self._listeners: list[Listener] = []
        self._stop_r, self._stop_w = os.pipe()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pyshell-changes", daemon=True)
        self._thread.start()

    # ---- watching -----------------------------------------------------------------------
    def watch(self, grant: Grant, parts: list[str], dir_fd: int) -> bool:
        """Watch the folder open as ``dir_fd`` (``parts`` inside ``grant``); False when it
        cannot be watched, and then nothing read from it may be cached."""
        if not self._local(dir_fd):
            return False
        return self._add(f"/proc/self/fd/{dir_fd}", MASK | IN_ONLYDIR, grant, parts)

    def _local(self, fd: int) -> bool:
        """inotify hears only of changes made through this kernel."""
        buf = ctypes.create_string_buffer(256)  # struct statfs; f_type comes first
        if self._libc.fstatfs(fd, buf) != 0:
            return False
        return struct.unpack_from("l", buf.raw)[0] & 0xFFFFFFFF not in REMOTE

    def watch_file(self, grant: Grant, parts: list[str], dir_fd: int) -> bool:
        """Watch the file ``parts[-1]`` in the folder open as ``dir_fd`` (its folder's watch
        must be in place first: a name swapped meanwhile is reported there)."""
        return self._add(f"/proc/self/fd/{dir_fd}/{parts[-1]}",
                         CONTENT | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW, grant, parts)

    def _add(self, path: str, mask: int, grant: Grant, parts: list[str]) -> bool:
        with self._lock:
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), mask)
            if wd < 0:
                return False
            watched = self._watches.get(wd)
            if watched is None:
                if len(self._watches) >= self._budget:
                    self._libc.inotify_rm_watch(self._fd, wd)
                    return False
                watched = self._watches[wd] = _Watched()
            watched.places.add((grant.id, "/".join(parts)))
            return True

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """``listener(records)`` is called (from a feed thread) for every batch of changes."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._unsubscribe(listener)

    def _unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def settle(self) -> None:
        """Send every change the kernel has reported so far: an answer given after this
        returns is never older than a change made before it was called."""
        self._read()

    def close(self) -> None:
        """Stop the feed; closing it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._fd, self._stop_r, self._stop_w):
            os.close(fd)

    # ---- events -------------------------------------------------------------------------
    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if self._stop_r in ready:
                return
            self._read()

    def _read(self) -> None:
        with self._lock:
            records: list[Record] = []
            while True:
                try:
                    data = os.read(self._fd, 64 * 1024)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno == errno.EBADF:
                        return
                    raise
                records += self._records(data)
            if records:
                for listener in list(self._listeners):
                    listener(records)

    def _records(self, data: bytes) -> list[Record]:
        out: list[Record] = []
        at = 0
        while at < len(data):
            wd, mask, _cookie, length = EVENT.unpack_from(data, at)
            name = data[at + EVENT.size:at + EVENT.size + length].rstrip(b"\0")
            at += EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                places = {p for w in self._watches.values() for p in w.places}
                out += [["*", g, ""] for g in {g for g, _ in places}]
                continue
            out += self._event(wd, mask, os.fsdecode(name))
        return out

    def _event(self, wd: int, mask: int, name: str) -> list[Record]:
        watched = self._watches.get(wd)
        if watched is None:
            return []
        out: list[Record] = []
        for grant_id, folder in watched.places:  # a folder, or a file of its own watch
            grant = self._grant(grant_id)
            if name:
                if grant is not None and grant.only is not None and name != grant.only:
                    continue  # the rest of a picked file's folder is not the app's to know of
                child = f"{folder}/{name}" if folder else name
                if mask & NAMES:
                    out.append(["n", grant_id, child])
                elif mask & CONTENT:
                    out.append(["a", grant_id, child])
            elif mask & GONE:
                out.append(["n", grant_id, folder] if folder else ["*", grant_id, ""])
            elif mask & CONTENT:  # a watched file itself, or a folder's own attributes
                out.append(["a", grant_id, folder])
        if not name and mask & GONE:
            self._forget(wd, mask)
        return out

    def _forget(self, wd: int, mask: int) -> None:
        """A watched folder moved or went: its watch no longer names it."""
        self._watches.pop(wd, None)
        if not mask & IN_IGNORED:
            self._libc.inotify_rm_watch(self._fd, wd)


def start(grants: Callable[[str], Grant | None]) -> ChangeFeed | None:
    """A feed where the host has inotify (Linux); None elsewhere: nothing is cached then."""
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return ChangeFeed(grants)
    except (OSError, AttributeError):
        return None


@dataclass
class _Mailbox:
    records: list[Record] = field(default_factory=list)
    lost: bool = True  # new, or overflowed: the reader must forget everything it holds
    seen: float = 0.0


class Mailboxes:
    """Records for workers that ask over XHR, where nothing can be pushed: each worker
    names itself in its requests and gets what the feed heard since its last request
    with its next answer. Bounded: a box that overflows, or a worker that was away long
    enough to lose its box, is told to forget everything instead."""

    MAX_RECORDS = 500  # more than one answer should carry: forget all instead
    MAX_BOXES = 32
    IDLE = 300.0  # seconds without a request before a worker's box is dropped

    def __init__(self, feed: ChangeFeed) -> None:
        self._boxes: dict[str, _Mailbox] = {}
        self._lock = threading.Lock()
        feed.subscribe(self._heard)

    def _heard(self, records: list[Record]) -> None:
        with self._lock:
            for box in self._boxes.values():
                if not box.lost:
                    box.records += records
                    if len(box.records) > self.MAX_RECORDS:
                        box.lost, box.records = True, []

    def take(self, client: str, now: float) -> list[Record] | None:
        """What ``client`` has not heard yet, or None: forget everything."""
        with self._lock:
            box = self._boxes.get(client)
            if box is None:
                self._drop_idle(now)
                box = self._boxes[client] = _Mailbox()
            box.seen = now
            if box.lost:
                box.lost = False
                return None
            records, box.records = box.records, []
            return records

    def _drop_idle(self, now: float) -> None:
        for client, box in list(self._boxes.items()):
            if now - box.seen > self.IDLE:
                del self._boxes[client]
        while len(self._boxes) >= self.MAX_BOXES:
            del self._boxes[min(self._boxes, key=lambda c: self._boxes[c].seen)]
