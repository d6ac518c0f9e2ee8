"""POSIX record locks on the host's descriptor of a file the app has open.

SQLite (and any code using ``fcntl.lockf``) guards a file with fcntl record locks. In
Pyodide those are no-ops, so the worker forwards them here, where they become real locks
of this process: another program using the same file waits for the app's transaction,
and the app sees another program's locks. They are the host process's locks, as natively
they would be the app process's: a descriptor closed on a file drops them all.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no record locks to forward
    fcntl = None  # type: ignore[assignment]

FLOCK = struct.Struct("hhqqi4x")  # struct flock: type, whence, start, len, pid (Linux)
TYPES = {0: "F_RDLCK", 1: "F_WRLCK", 2: "F_UNLCK"}  # the app's numbering (musl = Linux)
WAIT_STEP = 0.05  # a waiting lock is retried this often, so shutting down never hangs


def lock(fd: int, how: str, kind: int, start: int, length: int,
         closing: threading.Event) -> dict[str, Any]:
    """``how``: "get" (F_GETLK), "set" (F_SETLK) or "wait" (F_SETLKW); ``kind``: 0 read,
    1 write, 2 unlock. For "get", the conflicting lock (type 2 when there is none)."""
    if fcntl is None:
        raise OSError(errno.ENOLCK, "no record locks on this host")
    if kind not in TYPES or how not in ("get", "set", "wait") or start < 0 or length < 0:
        raise OSError(errno.EINVAL, "bad lock request")
    request = FLOCK.pack(getattr(fcntl, TYPES[kind]), os.SEEK_SET, start, length, 0)
    if how == "get":
        found = FLOCK.unpack(fcntl.fcntl(fd, fcntl.F_GETLK, request))
        kinds = {getattr(fcntl, name): number for number, name in TYPES.items()}
        return {"type": kinds[found[0]], "start": found[2], "length": found[3]}
    while True:
        try:
            fcntl.fcntl(fd, fcntl.F_SETLK, request)
            return {}
        except OSError as exc:
            if how == "set" or exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
        if closing.wait(WAIT_STEP):
            raise OSError(errno.EINTR, "the app is closing")
