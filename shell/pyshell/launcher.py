"""`pyshell run`: the app server plus a window (or the user's browser) for one app."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path

from . import config, engines, runtime
from .dev.reload import Hub, forward, print_report
from .dev.watcher import Watcher
from .dialogs import pywebview_dialogs
from .server import AppServer, LogSink
from .window import OnStarted, SignalStop, open_window


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, dev: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None) -> int:
    """Serve the app and show it; returns the exit code once the window is closed.

    ``dev``: watch the app's files and update the running app as they are saved.
    """
    app = config.load(app_dir)
    engine = None if browser else engines.choose(gui)
    rt = runtime.ensure()
    stop = SignalStop()
    hub = Hub() if dev else None
    server = AppServer(app, rt, log=log, dev=hub, on_dev_report=print_report)
    watcher = Watcher(app.root, forward(app, hub)) if hub else None
    if watcher:
        watcher.start()
    try:
        return _serve(server, app, engine, stop, browser, debug, on_started)
    finally:
        if watcher:
            watcher.stop()


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
