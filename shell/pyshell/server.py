"""The loopback app server: one app's page, files and API on 127.0.0.1, for its window only.

This module is the server's life: a socket bound to a random port, the route table
(``routes``, one module per area) behind the ``guard`` middlewares, and uvicorn serving
it in a background thread, so the main thread stays free for the GUI toolkit's event
loop. Every connection passes ``connections`` first (same user only, a cap, timeouts).

The server is handed what the app may use, already prepared: its grants
(``permissions.grants``) and its locked wheels (``packages.Packages``). Preparing them is
the launcher's (`pyshell run/dev`), the installed app's or a test's business, so serving
an app never resolves dependencies, downloads or runs pip.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from . import associations, connections, contract, fileservice, guard, security, snapshots
from .capabilities import Grant
from .clipboardservice import Clipboard
from .config import AppConfig
from .fileservice import FileService
from .hostevents import HostEvents
from .instance import Launch
from .lifecycle import Closer
from .menumodel import Entry
from .notifier import Notifier
from .packages import Packages
from .pickers import DialogProvider, Picker
from .resumepaint import ResumeStore
from .routes import (
    assets,
    clipboard,
    dev,
    dialogs,
    files,
    grantfiles,
    hostevents,
    lifecycle,
    links,
    log,
    menus,
    notify,
    page,
    resume,
    thumbs,
    tray,
    updates,
    windows,
)
from .routes import snapshots as snapshot_routes
from .routes.dev import DevChannel, DevReport
from .routes.links import Links, Opener
from .routes.menus import Menus
from .runtime import Runtime, cache_root
from .session import LAUNCH_PREFIX, Session
from .snapshots import SnapshotStore
from .terminal import LogSink, print_sink
from .thumbcache import ThumbCache
from .thumbmaker import ThumbMaker
from .trayicon import TrayIcon
from .windowmanager import WindowManager

if TYPE_CHECKING:
    from .selfupdate.updater import Updater


class AppServer:
    """One app served on a random loopback port with a per-launch token and session."""

    def __init__(self, app: AppConfig, runtime: Runtime, grants: Sequence[Grant],
                 packages: Packages, *, log: LogSink | None = None,
                 dev: DevChannel | None = None, on_dev_report: DevReport | None = None,
                 snapshot_dir: Path | None = None, opener: Opener | None = None,
                 updater: Updater | None = None) -> None:
        """``grants``: the folders the app starts with; dialogs add more while it runs.
        ``packages``: the app's locked wheels, checked. ``log``: where the app's output
        goes (default: this terminal). ``dev``: the reload channel (`pyshell dev` only).
        ``snapshot_dir``: where start-up snapshots are kept (default: the user cache).
        ``opener``: shows a web address in the user's browser (see ``routes.links``).
        ``updater``: an installed app's updates (see ``routes.updates``).
        """
        self.app, self.runtime, self.packages = app, runtime, packages
        self._log = log or print_sink()
        # Start-up snapshots (see ``snapshots``); off: every launch boots Pyodide cold.
        self.snapshots: SnapshotStore | None = SnapshotStore(
            app.name, lambda: snapshots.key(runtime, packages, app), root=snapshot_dir
        ) if app.snapshot else None
        # Before the file service exists, so that its handle cap can follow the raised limit.
        self._fd_limit = connections.raise_fd_limit()
        # Thumbnails are kept for the next launch (``thumbcache``)...
        self.files = FileService(list(grants),
                                 max_handles=fileservice.handle_cap(self._fd_limit),
                                 thumbs=ThumbCache(cache_root() / "thumbnails" / app.name))
        # ... and made by sandboxed decoders, started when the first is asked for.
        self.thumb_maker = ThumbMaker()
        self.picker = Picker(self.files)
        self.links = Links(app.url_patterns, self._say, opener)
        # The app's declared clipboard access (the launcher attaches the window's clipboard).
        self.clipboard = Clipboard(app.clipboard)
        # The window's close, asked of the page first (the launcher attaches the window).
        self.closer = Closer(app.window.quit_budget, self._say)
        # What the host tells the running app: opened files and URLs, dropped files,
        # notification clicks.
        self.events = HostEvents()
        self.notifier = Notifier(app.name, self._notification_clicked) \
            if app.notifications else None
        # The app's native menus (the launcher attaches the window); quit is that close.
        # The app's tray icon; while it shows, closing the window may only hide it.
        self.tray = TrayIcon(app.name, self._tray_clicked, self._tray_activated, self._say)
        self._tray_keeps_running = False
        self.closer.hide_instead = lambda: self.tray.visible and self._tray_keeps_running
        self.menus = Menus(self._say, (app.name, f"{app.name} {app.version}"),
                           self.closer.request, tray=self.tray.set_entries)
        self.updater = updater
        # The app's windows: the main one (the launcher attaches it) and those it opens.
        # What the main window showed last, painted first at the next launch.
        self.resume = ResumeStore(app) if app.resume_paint else None
        self.windows = WindowManager(self.events, self.launch_url, app.ui_dir, app.name,
                                     app.window.remember, on_window=self.menus.window_changed)
        # Off: every file operation uses synchronous XHR (as where SharedArrayBuffer is missing).
        self.fs_fast_path = True
        self.dev = dev
        self._on_dev_report = on_dev_report or (lambda report: None)
        self.token = secrets.token_urlsafe(32)
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it Nagle + delayed ACK cost 40 ms per response.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.session = Session(self.port)
        # Per-connection rules (see ``connections``); None: the defaults for this process's
        # descriptor limit, raised at start.
        self.connection_limits: connections.Limits | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The app's origin; opening it needs the session (see ``launch_url``)."""
        return f"http://127.0.0.1:{self.port}/"

    def launch_url(self, page: str = "/") -> str:
        """A single-use link that lets one browser (the window) into the app at ``page``."""
        query = "" if page == "/" else "?" + urlencode({"to": page})
        return f"http://127.0.0.1:{self.port}{LAUNCH_PREFIX}{self.session.new_code()}{query}"

    def credentials(self) -> dict[str, str]:
        """The headers that make a client the app's window, for tests and tools in-process."""
        return {"cookie": self.session.cookie_header(), security.TOKEN_HEADER: self.token}

    def use_dialogs(self, provider: DialogProvider | None) -> None:
        """Let the app open native file dialogs (the launcher passes the window's)."""
        self.picker.provider = provider

    def open(self, launch: Launch) -> None:
        """Files and URLs the app was opened with (at launch, or by a later launch): each
        path a grant of its own, read-write only for a file of a type the app edits
        (``role = "editor"``), all of them one ``open`` event for on_open."""
        given = [Path(p) for p in launch.paths]  # absolute: made so where the user typed them
        opened = [self.picker.grant_opened(p, self._edits(p)) for p in given
                  if p.is_absolute() and p.exists()]
        self.events.put({"kind": "open", "paths": [o["path"] for o in opened],
                         "grants": [o["grant"] for o in opened], "urls": list(launch.urls)})

    def _edits(self, path: Path) -> bool:
        file_type = associations.file_type_of(path, self.app.file_types)
        return path.is_file() and file_type is not None and file_type.editor

    def dropped(self, paths: list[Path]) -> None:
        """Files dropped on the window: each a grant of its own (read-only unless the app
        declared ``drop = "rw"``), all of them one ``drop`` event for on_drop."""
        given = [self.picker.grant_opened(p.resolve(), self.app.drop_writable, "dropped")
                 for p in paths if p.exists()]
        if given:
            self.events.put({"kind": "drop", "paths": [g["path"] for g in given],
                             "grants": [g["grant"] for g in given]})

    def _tray_clicked(self, entry: Entry, checked: bool) -> None:
        """A tray menu item: a role runs natively (quit: the normal close), any other
        click goes to the app's Python as a host event (the page may be hidden)."""
        if entry.role is not None:
            self.menus.clicked(entry, checked)
        else:
            self.events.put({"kind": "menu", "item": entry.id, "checked": checked})

    def _tray_activated(self) -> None:
        """A click on the tray icon: the window back if it was hidden, and Python told."""
        threading.Thread(target=self.windows.show_main, name="pyshell-tray-show",
                         daemon=True).start()
        self.events.put({"kind": "tray"})

    def _keep_running(self, flag: bool) -> None:
        self._tray_keeps_running = flag

    def _notification_clicked(self, number: int, action: str) -> None:
        self.events.put({"kind": "notification", "id": number, "action": action})

    def boot_config(self) -> contract.BootConfig:
        """What this server offers the page now (see ``routes.page``)."""
        return page.boot_config(self.app, self.port, self.packages, self.files.grants(),
                                fs_fast_path=self.fs_fast_path, dev_mode=self.dev is not None,
                                snapshots_on=self.snapshots is not None,
                                resume_on=self.resume is not None)

    def asgi(self) -> ASGIApp:
        """The route table, area by area, behind the guard; the app's ui/ folder last."""
        front, pages = page.routes(self.app.ui_dir, self.token, self.boot_config,
                                   self.windows.known, self.resume)
        table = [*front,
                 *resume.routes(self.resume),
                 *log.routes(self._log),
                 *files.routes(self.files, self.token),
                 *grantfiles.routes(self.files),
                 *thumbs.routes(self.files, self.thumb_maker),
                 *dialogs.routes(self.picker),
                 *links.routes(self.links),
                 *clipboard.routes(self.clipboard),
                 *lifecycle.routes(self._closed, self._started),
                 *hostevents.routes(self.events),
                 *notify.routes(self.notifier),
                 *menus.routes(self.menus),
                 *windows.routes(self.windows, self.token),
                 *tray.routes(self.tray, self.app.tray, self.app.ui_dir, self._keep_running),
                 *updates.routes(self.updater, self.closer.request),
                 *snapshot_routes.routes(self.snapshots, self._say),
                 *dev.routes(self.dev, self._on_dev_report, self.token),
                 *pages,
                 *assets.routes(self.app, self.runtime, self.packages)]
        return guard.protect(Starlette(routes=table), self.port, self.token, self.session,
                             self._say)

    def start(self) -> None:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        if self.snapshots is not None:  # while the window opens, not on its first requests
            threading.Thread(target=self.snapshots.warm_up, name="pyshell-snapshot-key",
                             daemon=True).start()
        self._server = _Server(self._uvicorn_config(), self._say)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name="pyshell-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the app server failed to start")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self.events.close()
        self.tray.hide()
        if self.notifier is not None:
            self.notifier.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sock.close()
        self.thumb_maker.close()
        self.files.close_all()

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _uvicorn_config(self) -> uvicorn.Config:
        limits = self.connection_limits or connections.Limits(
            max_connections=connections.connection_cap(self._fd_limit))
        limits = dataclasses.replace(limits, log=self._say)
        return uvicorn.Config(self.asgi(), log_level="warning", access_log=False,
                              lifespan="off", timeout_keep_alive=60, ws="websockets-sansio",
                              ws_max_size=32 * 1024 * 1024,
                              # Loopback only: compressing file data (engines offer
                              # permessage-deflate) cost more than everything else on it.
                              ws_per_message_deflate=False,
                              http=connections.protocol_for(limits),
                              backlog=connections.accept_backlog(limits.max_connections))

    def _closed(self, close: bool) -> None:
        """The page's answer to a close: a veto also cancels a restart into an update."""
        if not close and self.updater is not None:
            self.updater.restart_requested = False
        self.closer.answer(close)

    def _started(self, ok: bool) -> None:
        """The page ran the app's entry point: an update that got this far is kept."""
        if ok and self.updater is not None:
            self.updater.reached_entry()

    def _say(self, line: str) -> None:
        """One line of pyshell's own on the terminal (refusals, snapshot notes)."""
        self._log("stderr", line)


class _Server(uvicorn.Server):
    """uvicorn's server, with the event loop's resource errors as one line (see
    ``connections.quiet_loop_errors``)."""

    def __init__(self, config: uvicorn.Config, log: Callable[[str], None]) -> None:
        super().__init__(config)
        self._log_line = log

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        connections.quiet_loop_errors(asyncio.get_running_loop(), self._log_line)
        await super().serve(sockets)
