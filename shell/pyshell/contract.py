"""The contract between a host and the page: the boot config and every bridge message.

Two hosts serve an app's page (the loopback app server, and the static web build) and both
must say the same things the same way, so what the page is told lives here once:

- ``BootConfig``: the JSON in ``<meta name="pyshell-config">``. Every key is always
  present (``null`` or empty when a host has nothing to offer), so the page reads it
  without fallbacks. ``wasm_runtime/protocol.mjs`` mirrors it as JSDoc typedefs.
- ``MESSAGES``: every message type on the page's channels (page <-> worker, and the dev
  WebSocket), with the fields it carries; ``protocol.mjs`` names the same ones.

docs/protocol.md documents both; tests/test_contract.py fails when the docs, the JS or
this module disagree. Part of the runtime: it imports nothing but the standard library.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

CONFIG_META = "pyshell-config"  # <meta name=...> holding the BootConfig as JSON
TOKEN_META = "pyshell-token"    # the launch token (app server only; the page removes it)


@dataclass(frozen=True)
class Grant:
    """A host folder (or one file) mounted in the worker, reached through the file service.

    The page's view of ``capabilities.Grant``: the host path only as text to show the user
    (``pyshell.files.GrantInfo.host_path``); file operations never take a host path."""

    id: str
    mount: str
    writable: bool
    file: str | None  # a single-file grant: the one name in ``mount``
    host_path: str    # the host folder behind ``mount``, for display (``~`` for home)


@dataclass(frozen=True)
class BrowserGrant:
    """Web build: an ``{appdata}`` grant kept in the browser's own storage (OPFS)."""

    mount: str
    writable: bool


@dataclass(frozen=True)
class RefusedGrant:
    """A declared grant this host cannot mount, and why (``pyshell.files.refused()``)."""

    mount: str
    reason: str


class LockedPackage(Protocol):
    """What ``PackageSet.of`` needs of a lock entry (``deps.lock.LockedPackage`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def imports(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class PackageSet:
    """The app's locked wheels: the lock (Pyodide's schema) and what to install from it."""

    lock: str                 # URL of pyodide-lock.json
    names: tuple[str, ...]    # the packages to install, by lock name
    imports: tuple[str, ...]  # their top-level modules (imported into start-up snapshots)

    @classmethod
    def of(cls, lock_url: str, packages: Sequence[LockedPackage]) -> PackageSet | None:
        """The set for these lock entries; None when the app locks no package."""
        if not packages:
            return None
        return cls(lock_url, tuple(p.name for p in packages),
                   tuple(sorted({name for p in packages for name in p.imports})))


@dataclass(frozen=True)
class BootConfig:
    """What the page needs to start the app. URLs may be relative to the page.

    ``None`` means "this host has none": no terminal log (``log``), no file service
    (``fs``, ``fs_socket``), no native dialogs (``dialog``), no browser to open links in
    (``open_url``), no clipboard (``clipboard``), no window to close (``closed``), nothing to
    tell the app while it runs (``host_events``), no desktop notifications (``notify``), no
    native menus (``menu``), no one to tell the app started (``started``), no updates
    (``updates``), not dev mode (``dev``), no other windows (``windows``,
    ``window_socket``), the main window's page (``window``), no tray icon (``tray``), no
    resume paint (``resume``), no start-up snapshots (``snapshot``)."""

    entry: str                  # the app's "module:function"
    bundle: str                 # zip of pyshell's in-WebAssembly API and the app's packages
    runtime: str                # folder of the Pyodide files
    log: str | None = None      # POST {stream, text}: the app's print() to the terminal
    fs: str | None = None       # the file service, one synchronous request per operation
    fs_socket: str | None = None  # the file service's WebSocket (the shared-memory path)
    fs_fast_path: bool = False  # False: synchronous requests only, even with shared memory
    dialog: str | None = None   # POST: native file dialogs
    open_url: str | None = None  # POST: show a web address in the user's browser
    clipboard: str | None = None  # POST {op, text, html}: the system clipboard
    closed: str | None = None   # POST {close}: the page's answer to a close of the window
    host_events: str | None = None  # GET, long poll: what the host tells the running app
    notify: str | None = None   # POST: a desktop notification
    menu: str | None = None     # POST {model} | {popup}: the app's native menus
    started: str | None = None  # POST {ok}: the app's entry point returned (ok) or raised
    updates: str | None = None  # the app's update status; POST /check, /restart
    dev: str | None = None      # the dev-reload WebSocket
    windows: str | None = None  # POST: open the app's other windows, act on them, list them
    window_socket: str | None = None  # the WebSocket relaying other windows' pages
    window: str | None = None   # this page's window, when it is not the main one
    tray: str | None = None     # POST: the app's tray icon
    resume: str | None = None   # POST: what the main window shows, for the next first paint
    snapshot: str | None = None  # start-up snapshots, per engine id appended
    snapshot_imports: tuple[str, ...] = ()  # modules a new snapshot imports ahead
    grants: tuple[Grant, ...] = ()
    browser_grants: tuple[BrowserGrant, ...] = ()
    refused: tuple[RefusedGrant, ...] = ()
    packages: PackageSet | None = None

    def to_json(self) -> dict[str, Any]:
        """The page's form: every key, named as JavaScript names them (camelCase)."""
        encoded = _encode(self)
        assert isinstance(encoded, dict)
        return encoded


def json_name(field: str) -> str:
    """A field's key in JSON: ``fs_fast_path`` -> ``fsFastPath``."""
    first, *rest = field.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {json_name(f.name): _encode(getattr(value, f.name))
                for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


Party = Literal["page", "worker", "host"]


@dataclass(frozen=True)
class Message:
    """One message type: who sends it on which channel, and the fields it carries."""

    name: str     # its constant in protocol.mjs
    type: str     # the value of its ``type`` field
    sender: Party
    receiver: Party
    fields: tuple[str, ...] = ()

    def encode(self, **fields: object) -> str:
        """The message as JSON text; its fields must be exactly the declared ones."""
        if set(fields) != set(self.fields):
            raise TypeError(f"{self.type} carries {sorted(self.fields)}, not {sorted(fields)}")
        return json.dumps({"type": self.type, **fields})


# The page and its worker (postMessage, structured clone).
INIT = Message("INIT", "init", "page", "worker", ("token", "config", "interrupt"))
EVENT = Message("EVENT", "event", "page", "worker", ("handler", "event", "window"))
REPLY = Message("REPLY", "reply", "page", "worker", ("id", "value", "error"))
RELOAD = Message("RELOAD", "reload", "page", "worker", ("modules", "files"))
STATUS = Message("STATUS", "status", "worker", "page", ("text",))
READY = Message("READY", "ready", "worker", "page", ("ok", "boot", "phases"))
SNAPSHOT = Message("SNAPSHOT", "snapshot", "worker", "page", ("saved",))
DOM = Message("DOM", "dom", "worker", "page", ("ops", "window"))
QUERY = Message("QUERY", "query", "worker", "page", ("id", "op", "window"))
HANDLED = Message("HANDLED", "handled", "worker", "page", ("window",))
TIMER = Message("TIMER", "timer", "worker", "page")
ERROR = Message("ERROR", "error", "worker", "page", ("text",))
FATAL = Message("FATAL", "fatal", "worker", "page", ("text",))
WARNING = Message("WARNING", "warning", "worker", "page", ("text",))
RELOADED = Message("RELOADED", "reloaded", "worker", "page", ("ok", "restart", "ms"))
CLOSE = Message("CLOSE", "close", "page", "worker")
CLOSED = Message("CLOSED", "closed", "worker", "page", ("ok",))
HOST_EVENT = Message("HOST_EVENT", "host-event", "page", "worker", ("event", "window"))
MENU = Message("MENU", "menu", "page", "worker", ("item", "checked", "window"))
DOWNLOAD = Message("DOWNLOAD", "download", "worker", "page", ("name", "bytes"))

# The dev-reload WebSocket (dev mode only), JSON text.
DEV_CONNECTED = Message("DEV_CONNECTED", "connected", "host", "page")
PYTHON_UPDATE = Message("PYTHON_UPDATE", "python-update", "host", "page", ("modules", "files"))
CSS_UPDATE = Message("CSS_UPDATE", "css-update", "host", "page", ("paths",))
FULL_RELOAD = Message("FULL_RELOAD", "full-reload", "host", "page", ("reason",))
DEV_RELOADED = Message("DEV_RELOADED", "reloaded", "page", "host", ("kind", "ok", "ms"))

# The window relay (``routes.windows``): to the page of a window the app opened.
WINDOW_CONNECTED = Message("WINDOW_CONNECTED", "window-connected", "host", "page")

WORKER_MESSAGES = (INIT, EVENT, REPLY, RELOAD, STATUS, READY, SNAPSHOT, DOM, QUERY, HANDLED,
                   TIMER, ERROR, WARNING, FATAL, RELOADED, CLOSE, CLOSED, DOWNLOAD, HOST_EVENT,
                   MENU)
DEV_MESSAGES = (DEV_CONNECTED, PYTHON_UPDATE, CSS_UPDATE, FULL_RELOAD, DEV_RELOADED)
WINDOW_MESSAGES = (WINDOW_CONNECTED,)
MESSAGES = WORKER_MESSAGES + DEV_MESSAGES + WINDOW_MESSAGES


def head_tags(config: BootConfig, loader: str, *, token: str | None = None,
              csp: str | None = None) -> str:
    """The tags that boot pyshell in a page: policy, token, config, then the loader.

    ``loader``: the URL of loader.mjs (relative in the web build, which may be served
    from any folder). ``csp``: a ``<meta>`` policy, for hosts that send no headers."""
    tags = []
    if csp is not None:
        tags.append(f'<meta http-equiv="Content-Security-Policy" content="{_attr(csp)}">')
    if token is not None:
        tags.append(f'<meta name="{TOKEN_META}" content="{_attr(token)}">')
    tags.append(f'<meta name="{CONFIG_META}" content="{_attr(json.dumps(config.to_json()))}">')
    tags.append(f'<script type="module" src="{_attr(loader)}"></script>')
    return "".join(tag + "\n" for tag in tags)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def inject_head(page: str, snippet: str) -> str:
    """Put pyshell's boot tags at the start of <head> (or of the page when it has none)."""
    lower = page.lower()
    at = lower.find("<head")
    if at >= 0:
        close = lower.find(">", at)
        return page[: close + 1] + "\n" + snippet + page[close + 1:]
    return snippet + page

