"""`pyshell run`: the app server plus a window (or the user's browser) for one app."""

from __future__ import annotations

import signal
import sys
import webbrowser
from pathlib import Path

from . import config, engines, runtime
from .server import AppServer, LogSink
from .window import OnStarted, open_window


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None) -> int:
    """Serve the app and show it; returns the exit code once the window is closed."""
    app = config.load(app_dir)
    engine = None if browser else engines.choose(gui)
    rt = runtime.ensure()
    with AppServer(app, rt, log=log) as server:
        if browser:
            return _serve_to_browser(server)
        print(f"pyshell: {app.name} on {engine} at 127.0.0.1:{server.port}", file=sys.stderr)
        open_window(server.url, app.window, engine, on_started=on_started, debug=debug)
    return 0


def _serve_to_browser(server: AppServer) -> int:
    """Debug mode: the same token-protected app, in the user's browser, until Ctrl-C."""
    print(f"pyshell: serving {server.app.name} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    webbrowser.open(server.url)
    signal.sigwait(signals)
    return 0
