"""One running copy of an app per user: a second launch hands its files and URLs over.

The first launch takes an exclusive ``flock`` on ``KEY.lock`` and listens on ``KEY.sock``
(an AF_UNIX socket) in a folder only its user can enter: ``$XDG_RUNTIME_DIR/pyshell``, or
``instances`` in pyshell's cache folder. The kernel drops the lock when the process ends,
however it ends (``kill -9`` too), so a lock is never stale: the next launch takes it
over and replaces the socket; an app that ends normally removes both files. A launch that
cannot take the lock connects, sends its arguments as one JSON line, waits for ``ok`` and
exits 0. The listener takes connections from its own user only (``SO_PEERCRED``).

The key is the app's name plus a hash of its folder: an installed app's bundle folder,
or the source folder of `pyshell run`/`pyshell dev`. So `pyshell dev` on a checkout never
forwards to the installed copy of the same app, and two checkouts are two apps.

Only the transport knows sockets and locks. Windows has no ``flock``: there
``PipeTransport`` makes a named pipe the lock and the channel at once (see there).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from pathlib import Path
from typing import Any
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
    """The user's private folder for instance locks, made (0700) if missing, checked
    (on Windows the user's own profile folder, private by its access list)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "pyshell" if base else runtime.cache_root() / "instances"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid"):
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

        while True:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            if self._still_named(fd):
                break
            os.close(fd)  # its last owner removed it between our open and our lock: again
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

    def _still_named(self, fd: int) -> bool:
        try:
            return os.stat(self._lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def close(self) -> None:
        """Give the lock up, and remove its files (a launch that opened the lock file just
        before finds it gone once it has the lock, and makes a new one)."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self.socket_path.unlink()
            self._server.close()
            self._server = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                self._lock_path.unlink()  # while still held: nobody can have it meanwhile
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


class PipeTransport:
    """Windows: the named pipe ``\\\\.\\pipe\\pyshell-USER-KEY`` is the lock and the channel.

    Its first instance is made with ``FILE_FLAG_FIRST_PIPE_INSTANCE`` (as
    ``multiprocessing``'s pipe listener makes it), so making it again fails while the first
    process lives, and it goes with that process however it ends: no stale lock. Pipe names
    are one namespace for the whole machine, so the two ends prove to each other that they
    know a secret only this user can read (``KEY.secret`` in the private folder) before
    anything is sent: a pipe someone else made under this name gets nothing. Every wait
    has a deadline, so a peer that connects and says nothing holds up neither side.
    ``family``/``address`` exist for running it on an AF_UNIX path.
    """

    def __init__(self, where: Path, app_key: str, *, family: str = "AF_PIPE",
                 address: str | None = None) -> None:
        user = re.sub(r"[^A-Za-z0-9_.-]", "_", os.environ.get("USERNAME", "user"))[:32]
        self.address = address or rf"\\.\pipe\pyshell-{user}-{app_key}"
        self.socket_path = Path(self.address)  # named in messages, as UnixTransport's
        self._family = family
        self._secret_path = where / f"{app_key}.secret"
        self._listener: Any = None
        self._closed = threading.Event()
        self._secret: bytes | None = None

    @property
    def _key(self) -> bytes:
        if self._secret is None:
            self._secret = _shared_secret(self._secret_path)
        return self._secret

    def claim(self) -> bool:
        from multiprocessing.connection import Listener

        _ = self._key  # a folder where it cannot be kept is the user's error, said first
        try:
            self._listener = Listener(self.address, self._family)
        except OSError:  # the pipe (or socket) exists: an instance runs, or someone holds it
            return False
        return True

    def send(self, message: bytes, timeout: float = FORWARD_TIMEOUT) -> bytes:
        """Raises AuthenticationError when the other end does not know the secret, and an
        OSError when it does not answer in time."""
        from multiprocessing.connection import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = Client(self.address, self._family)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with conn:
            _prove(conn, self._key, b"launch", deadline)
            conn.send_bytes(message)
            return _receive(conn, deadline, 64)

    def serve(self, handle: Callable[[bytes], None]) -> None:
        threading.Thread(target=self._accept, args=(self._listener, handle),
                         name="pyshell-instance", daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None

    def _accept(self, listener: Any, handle: Callable[[bytes], None]) -> None:
        while not self._closed.is_set():
            try:
                conn = listener.accept()
            except OSError:
                time.sleep(0.05)  # closed (then the loop ends), or a client gone at once
                continue
            threading.Thread(target=self._answer, args=(conn, handle), daemon=True).start()

    def _answer(self, conn: Any, handle: Callable[[bytes], None]) -> None:
        """One launch: proved, heard, answered, each within a few seconds, or dropped."""
        with conn:
            try:
                deadline = time.monotonic() + 5
                _prove(conn, self._key, b"running", deadline)
                handle(_receive(conn, deadline, MAX_MESSAGE))
                conn.send_bytes(b"ok\n")
            except (OSError, EOFError, AuthenticationError, ValueError, KeyError, TypeError):
                return


def _shared_secret(path: Path) -> bytes:
    """32 random bytes this user's launches share, made whole by the first that needs
    them (written aside, then linked into place: never seen half-written)."""
    try:
        for _ in range(3):
            with contextlib.suppress(FileNotFoundError):
                secret = path.read_bytes()
                if len(secret) == 32:
                    return secret
                path.unlink()  # damaged (a crash while an older version wrote it): anew
            aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            try:
                os.link(aside, path)
            except FileExistsError:
                pass  # another launch was first: theirs is read next
            finally:
                aside.unlink()
    except OSError as exc:
        raise PyshellError(f"{path}: cannot keep the single-instance secret there "
                           f"({exc.strerror or exc})") from None
    raise PyshellError(f"{path}: cannot keep the single-instance secret there")


def _receive(conn: Any, deadline: float, limit: int) -> bytes:
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        raise TimeoutError(errno.ETIMEDOUT, "no answer in time")
    return bytes(conn.recv_bytes(limit))


def _prove(conn: Any, key: bytes, me: bytes, deadline: float) -> None:
    """Both ends show they hold ``key`` (an HMAC of the other's fresh nonce, naming the
    role, so an answer cannot be sent back as a question); AuthenticationError if the
    other end does not."""
    ours = secrets.token_bytes(32)
    conn.send_bytes(ours)
    theirs = _receive(conn, deadline, 64)
    other = b"running" if me == b"launch" else b"launch"
    conn.send_bytes(hmac.new(key, me + theirs, "sha256").digest())
    proof = _receive(conn, deadline, 64)
    if not hmac.compare_digest(proof, hmac.new(key, other + ours, "sha256").digest()):
        raise AuthenticationError("the other end does not know this user's secret")


Transport = UnixTransport | PipeTransport


class SingleInstance:
    """The app's claim to be its user's one running copy (``claim``), and what it hears
    from later launches (``listen``)."""

    def __init__(self, transport: Transport | None) -> None:
        self.transport = transport  # None: no transport here, so no single instance

    def listen(self, on_launch: Callable[[Launch], None]) -> None:
        if self.transport is not None:
            self.transport.serve(lambda data: on_launch(Launch.decode(data)))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def transport_for(app: AppConfig) -> Transport | None:
    """Where this host keeps the app's lock: a named pipe on Windows, a lock file and an
    AF_UNIX socket elsewhere; None where neither exists (then every launch runs)."""
    if sys.platform == "win32":
        return PipeTransport(folder(), key(app))
    if hasattr(socket, "AF_UNIX"):
        return UnixTransport(folder(), key(app))
    return None


def claim(app: AppConfig, launch: Launch) -> SingleInstance | None:
    """The app's lock, or None once ``launch`` went to the copy already running."""
    transport = transport_for(app)
    if transport is None:
        return SingleInstance(None)
    if transport.claim():
        return SingleInstance(transport)
    try:
        answer = transport.send(launch.encode())
    except EOFError:
        raise PyshellError(f"{app.name} is already running but closed the connection at "
                           f"{transport.socket_path}") from None
    except AuthenticationError:
        print(f"pyshell: {transport.socket_path} is held by a program that is not this app; "
              "running without single instance", file=sys.stderr)
        return SingleInstance(None)
    except OSError as exc:
        raise PyshellError(f"{app.name} is already running but does not answer at "
                           f"{transport.socket_path} ({exc.strerror or exc})") from None
    if answer.strip() != b"ok":
        raise PyshellError(f"{app.name} is already running but refused this launch's "
                           "arguments")
    return None
