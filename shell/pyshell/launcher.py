"""`pyshell run`: the app server plus a window (or the user's browser) for one app."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from . import config, engines, runtime
from .deps.service import Packages
from .dev.reload import Hub, forward, print_report
from .dialogs import pywebview_dialogs
from .server import AppServer, LogSink
from .window import OnStarted, SignalStop, open_window

if TYPE_CHECKING:
    from .dev.watcher import Watcher


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, dev: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None, rt: runtime.Runtime | None = None,
        packages: Packages | None = None) -> int:
    """Serve the app and show it; returns the exit code once the window is closed.

    ``dev``: watch the app's files and update the running app as they are saved.
    ``rt``/``packages``: an installed app's own runtime files and wheels (default: the
    user cache, the app's lock).
    """
    app = config.load(app_dir)
    engine = None if browser else engines.choose(gui)
    rt = rt or runtime.ensure()
    stop = SignalStop()
    hub = Hub() if dev else None
    server = AppServer(app, rt, log=log, dev=hub, on_dev_report=print_report,
                       packages=packages)
    watcher = _watcher(app, hub) if hub else None
    if watcher:
        watcher.start()
    try:
        return _serve(server, app, engine, stop, browser, debug, on_started)
    finally:
        if watcher:
            watcher.stop()


def _watcher(app: config.AppConfig, hub: Hub) -> Watcher:
    from .dev.watcher import Watcher  # dev only: installed apps do not ship watchdog's use

    return Watcher(app.root, forward(app, hub))


def _serve(server: AppServer, app: config.AppConfig, engine: str | None, stop: SignalStop,
           browser: bool, debug: bool, on_started: OnStarted | None) -> int:
    with server:
        if browser:
            print(f"pyshell: serving {app.name} at {server.url} (Ctrl-C to stop)",
                  file=sys.stderr)
            webbrowser.open(server.url)
            stop.wait()
            return 0
        print(f"pyshell: {app.name} on {engine} at 127.0.0.1:{server.port}", file=sys.stderr)
        assert engine is not None
        open_window(server.url, app.window, engine, stop, on_started=on_started, debug=debug,
                    on_created=lambda window: server.use_dialogs(pywebview_dialogs(window)))
    return 0
