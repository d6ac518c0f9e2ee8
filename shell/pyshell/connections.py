"""Per-connection limits of the app server: who may connect, how many, and for how long.

uvicorn answers requests but leaves connections alone: a client that connects and never
sends a byte, or sends half a request head and stops, holds a socket (and a file
descriptor) for as long as it likes, and a thousand of them exhaust the process's
descriptors. This HTTP protocol is uvicorn's own (h11), with these rules added at the
connection level, before any request exists:

- on Linux, a connection from another user's socket is closed at once (``peercred``);
- at most ``max_connections`` connections (HTTP and WebSocket) at a time; more are closed
  as they arrive, so descriptors run out in neither the server nor the file service;
- a new connection must start a request within ``idle_timeout`` seconds, and a request
  head, once started, must be complete within ``head_timeout`` seconds.

Idle keep-alive connections between requests are closed by uvicorn's own keep-alive timer.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import peercred

FD_TARGET = 16384  # the soft descriptor limit asked for at start (never above the hard one)


@dataclass(frozen=True)
class Limits:
    """What one server allows its connections."""

    max_connections: int = 256
    idle_timeout: float = 10.0
    head_timeout: float = 5.0
    check_peer_uid: bool = sys.platform.startswith("linux")
    log: Callable[[str], None] = field(default=lambda line: None)


def raise_fd_limit(target: int = FD_TARGET) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``target`` (within the hard limit); returns it.

    Many systems start processes at 1,024 (macOS at 256) while allowing far more; a
    window's engine, the file service and the server share this one process.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return target
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return target if soft == resource.RLIM_INFINITY else soft


def connection_cap(fd_limit: int) -> int:
    """Connections allowed for a descriptor limit: a quarter of it, at most 256, so the file
    service's handles and the engine's own descriptors keep the rest."""
    return max(16, min(256, fd_limit // 4))


def accept_backlog(cap: int) -> int:
    """The listen backlog, which is also how many connections asyncio accepts in one go
    before any of them is looked at: kept small so that a burst can never take more
    descriptors than the cap leaves (a local app never needs a long queue)."""
    return max(16, cap // 4)


class _Shared:
    """What one server's connections share: one terminal line per kind of refusal (not
    one per connection), and the kernel's socket tables read once per event-loop turn
    (a flood of new connections costs one read, not one each)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._said: set[str] = set()
        self._tables: list[str] | None = None

    def once(self, key: str, line: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self._log(line)

    def reset(self, key: str) -> None:
        self._said.discard(key)

    def peer_uid(self, loop: asyncio.AbstractEventLoop, peer: tuple[str, int],
                 local: tuple[str, int]) -> int | None:
        """Like ``peercred.peer_uid``; every connection made this turn of the loop was
        accepted before it began, so it is in a table read during it."""
        if self._tables is None:
            self._tables = peercred.read_tables()
            if self._tables is None:
                return None
            loop.call_soon(self._forget_tables)
        found = peercred.lookup(self._tables, peer, local)
        return peercred.peer_uid(peer, local) if found is None else found

    def _forget_tables(self) -> None:
        self._tables = None


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the connection rules above; see ``protocol_for``."""

    limits: ClassVar[Limits] = Limits()
    shared: ClassVar[_Shared]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None
        self._head_started = False

    # asyncio declares BaseTransport; a TCP server always passes a Transport, and uvicorn's
    # own method narrows it the same way.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        reason = self._refusal(transport)
        if reason is not None:
            self._refused = True
            transport.abort()
            return
        super().connection_made(transport)
        self._arm(self.limits.idle_timeout)

    def _refusal(self, transport: asyncio.Transport) -> str | None:
        """Why this new connection may not stay, or None."""
        if len(self.connections) >= self.limits.max_connections:
            self.shared.once("cap", f"pyshell: refused connections: more than "
                                    f"{self.limits.max_connections} open at once")
            return "cap"
        if len(self.connections) < self.limits.max_connections // 2:
            self.shared.reset("cap")  # the burst is over: say so again next time
        if self.limits.check_peer_uid:
            peer, local = transport.get_extra_info("peername"), transport.get_extra_info(
                "sockname")
            if peer and local:
                uid = self.shared.peer_uid(self.loop, peer[:2], local[:2])
                if uid is not None and uid != os.getuid():
                    self.shared.once(f"uid{uid}", "pyshell: refused a connection from "
                                     f"another user's process (uid {uid})")
                    return "uid"
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self._refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and not self._head_started:
            self._head_started = True  # the head's clock starts at its first byte
            self._arm(self.limits.head_timeout)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_started = False
            self._disarm()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        """No complete request head in time: drop the connection (no answer is owed)."""
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


def protocol_for(limits: Limits) -> type[LimitedH11Protocol]:
    """A protocol class bound to one server's limits (uvicorn instantiates it per
    connection)."""
    return type("PyshellH11Protocol", (LimitedH11Protocol,),
                {"limits": limits, "shared": _Shared(limits.log)})


def quiet_loop_errors(loop: asyncio.AbstractEventLoop, log: Callable[[str], None]) -> None:
    """Descriptors running out anyway (the engine's own, say) is one terminal line, not a
    traceback a second: asyncio retries accepting by itself."""
    said = False

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        nonlocal said
        if "out of system resource" in str(context.get("message", "")):
            if not said:
                said = True
                log("pyshell: out of file descriptors; new connections wait until some close")
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
