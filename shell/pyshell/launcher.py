"""`pyshell run`: the app server plus a window (or the user's browser) for one app."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path

from . import config, engines, runtime
from .dialogs import pywebview_dialogs
from .server import AppServer, LogSink
from .window import OnStarted, SignalStop, open_window


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None) -> int:
    """Serve the app and show it; returns the exit code once the window is closed."""
    app = config.load(app_dir)
    engine = None if browser else engines.choose(gui)
    rt = runtime.ensure()
    stop = SignalStop()
    with AppServer(app, rt, log=log) as server:
        if browser:
            print(f"pyshell: serving {app.name} at {server.url} (Ctrl-C to stop)",
                  file=sys.stderr)
            webbrowser.open(server.url)
            stop.wait()
            return 0
        print(f"pyshell: {app.name} on {engine} at 127.0.0.1:{server.port}", file=sys.stderr)
        open_window(server.url, app.window, engine, stop, on_started=on_started, debug=debug,
                    on_created=lambda window: server.use_dialogs(pywebview_dialogs(window)))
    return 0
