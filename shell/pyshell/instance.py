"""One running copy of an app per user: a second launch hands its files and URLs over.

The first launch takes an exclusive ``flock`` on ``KEY.lock`` and listens on ``KEY.sock``
(an AF_UNIX socket) in a folder only its user can enter: ``$XDG_RUNTIME_DIR/pyshell``, or
``instances`` in pyshell's cache folder. The kernel drops the lock when the process ends,
however it ends (``kill -9`` too), so a lock is never stale: the next launch takes it
over and replaces the socket. A launch that cannot take the lock connects, sends its
arguments as one JSON line, waits for ``ok`` and exits 0. The listener takes connections
from its own user only (``SO_PEERCRED``).

The key is the app's name plus a hash of its folder: an installed app's bundle folder,
or the source folder of `pyshell run`/`pyshell dev`. So `pyshell dev` on a checkout never
forwards to the installed copy of the same app, and two checkouts are two apps.

Only the transport (``UnixTransport``) knows sockets and locks; Windows has no AF_UNIX
in Python or ``fcntl``, and runs without single instance until a named-pipe transport
is written behind the same three methods.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import peercred, runtime
from .config import AppConfig
from .errors import PyshellError

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # two letters at least: not C:\...
MAX_MESSAGE = 1024 * 1024
FORWARD_TIMEOUT = 10.0  # seconds a second launch waits for the running one to answer


@dataclass(frozen=True)
class Launch:
    """What a launch was asked to open: absolute host paths, and URLs as given."""

    paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.paths or self.urls)

    def encode(self) -> bytes:
        return json.dumps({"paths": self.paths, "urls": self.urls}).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Launch:
        value = json.loads(data)
        paths, urls = value["paths"], value["urls"]
        if not all(isinstance(v, str) for v in (*paths, *urls)):
            raise ValueError("paths and urls must be strings")
        return cls(tuple(paths), tuple(urls))


def arguments(args: Sequence[str], cwd: Path | None = None) -> Launch:
    """The command line's files and URLs: a path made absolute (here, where the user typed
    it, not in the running app), a ``file:`` URL as its path, any other URL as is. A path
    that does not exist is a one-line error."""
    cwd = cwd or Path.cwd()
    paths: list[str] = []
    urls: list[str] = []
    for arg in args:
        if _URL_RE.match(arg) and not (cwd / arg).exists():
            parts = urlsplit(arg)
            if parts.scheme.lower() != "file":
                urls.append(arg)
                continue
            arg = unquote(parts.path)
        path = (cwd / arg).resolve()
        if not path.exists():
            raise PyshellError(f"{arg}: no such file or folder")
        paths.append(str(path))
    return Launch(tuple(paths), tuple(urls))


def key(app: AppConfig) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", app.name)[:20]
    return f"{name}-{hashlib.sha256(str(app.root).encode()).hexdigest()[:16]}"


def folder() -> Path:
    """The user's private folder for instance locks, made (0700) if missing, checked."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "pyshell" if base else runtime.cache_root() / "instances"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(path, os.getuid())
    return path


def check_private(path: Path, uid: int) -> None:
    """Refuse a folder another user owns or may enter: they could fake the running app."""
    info = path.stat()
    if info.st_uid != uid:
        raise PyshellError(f"{path} belongs to another user (uid {info.st_uid}); remove it "
                           "or set XDG_RUNTIME_DIR to a folder of your own")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise PyshellError(f"{path} is open to other users (mode "
                           f"{stat.S_IMODE(info.st_mode):o}); chmod 700 it")


class UnixTransport:
    """The lock and the socket of one app key in one private folder."""

    def __init__(self, where: Path, app_key: str) -> None:
        self.socket_path = where / f"{app_key}.sock"
        self._lock_path = where / f"{app_key}.lock"
        self._lock_fd: int | None = None
        self._dir_fd: int | None = None
        self._server: socket.socket | None = None

    def _address(self) -> str:
        """The socket's path, or where that is longer than AF_UNIX allows (108 bytes, a deep
        cache folder), the same file reached through the folder's descriptor (Linux)."""
        path = str(self.socket_path)
        if len(os.fsencode(path)) < 100 or not Path("/proc/self/fd").is_dir():
            return path
        if self._dir_fd is None:
            self._dir_fd = os.open(self.socket_path.parent,
                                   os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return f"/proc/self/fd/{self._dir_fd}/{self.socket_path.name}"

    def claim(self) -> bool:
        """Become the running instance (True), or find one running (False)."""
        import fcntl

        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # left by a copy that was killed
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self._address())
        server.listen(8)
        self._server = server
        return True

    def send(self, message: bytes, timeout: float = FORWARD_TIMEOUT) -> bytes:
        """Hand ``message`` to the running instance; its answer. The running one may have
        taken the lock a moment ago and not be listening yet: retry until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.settimeout(max(0.1, deadline - time.monotonic()))
                    conn.connect(self._address())
                    conn.sendall(message)
                    conn.shutdown(socket.SHUT_WR)
                    return conn.makefile("rb").readline()
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def serve(self, handle: Callable[[bytes], None]) -> None:
        """Answer every connection of this user on a thread of its own: ``handle`` gets what
        it sent; its answer is ``ok``."""
        server = self._server
        assert server is not None
        threading.Thread(target=self._accept, args=(server, handle), name="pyshell-instance",
                         daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self.socket_path.unlink()
            self._server.close()
            self._server = None
        for fd in (self._lock_fd, self._dir_fd):
            if fd is not None:
                os.close(fd)
        self._lock_fd = self._dir_fd = None

    def _accept(self, server: socket.socket, handle: Callable[[bytes], None]) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed
            with conn:
                if peercred.unix_peer_uid(conn) not in (None, os.getuid()):
                    continue
                conn.settimeout(5)
                try:
                    data = conn.makefile("rb").read(MAX_MESSAGE)
                    handle(data)
                    conn.sendall(b"ok\n")
                except (OSError, ValueError, KeyError, TypeError):
                    continue


class SingleInstance:
    """The app's claim to be its user's one running copy (``claim``), and what it hears
    from later launches (``listen``)."""

    def __init__(self, transport: UnixTransport | None) -> None:
        self.transport = transport  # None: no transport here, so no single instance

    def listen(self, on_launch: Callable[[Launch], None]) -> None:
        if self.transport is not None:
            self.transport.serve(lambda data: on_launch(Launch.decode(data)))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def claim(app: AppConfig, launch: Launch) -> SingleInstance | None:
    """The app's lock, or None once ``launch`` went to the copy already running. None also
    where there is no transport (Windows, for now): then every launch runs."""
    if not hasattr(socket, "AF_UNIX") or sys.platform == "win32":
        return SingleInstance(None)
    transport = UnixTransport(folder(), key(app))
    if transport.claim():
        return SingleInstance(transport)
    try:
        answer = transport.send(launch.encode())
    except OSError as exc:
        raise PyshellError(f"{app.name} is already running but does not answer at "
                           f"{transport.socket_path} ({exc.strerror or exc})") from None
    if answer.strip() != b"ok":
        raise PyshellError(f"{app.name} is already running but refused this launch's "
                           "arguments")
    return None
