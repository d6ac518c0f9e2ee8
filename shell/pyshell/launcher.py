"""`pyshell run` and installed apps: the app server plus a window (or the user's browser).

Part of the runtime that installed apps carry. They hand ``run`` their own runtime files
and wheels; only `pyshell run/dev` from a source folder lets it prepare them from the
user cache (``deps.service``, which may lock and download) and, for `pyshell dev`, start
the watcher. Those imports stay inside the functions that need them, on paths an
installed app never takes, so it does not carry that tooling.
"""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import appcode, config, engines, permissions, runtime
from .engines import Engine, Navigation
from .packages import Packages
from .pickers import pywebview_dialogs
from .server import AppServer
from .terminal import LogSink
from .window import OnStarted, SignalStop, open_window

if TYPE_CHECKING:
    from .dev.reload import Hub
    from .dev.watcher import Watcher


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, dev: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None, rt: runtime.Runtime | None = None,
        packages: Packages | None = None, grants: Sequence[tuple[str, bool]] = ()) -> int:
    """Serve the app and show it; returns the exit code once the window is closed.

    ``dev``: watch the app's files and update the running app as they are saved.
    ``grants``: folders given at launch, ``("MOUNT=PATH", writable)`` (``--grant``).
    ``rt``/``packages``: an installed app's own runtime files and wheels (default: the
    user cache, the app's lock).
    """
    app = permissions.at_launch(config.load(app_dir), grants)
    permissions.print_warnings(app)
    engine = None if browser else engines.choose(gui)
    rt = rt or runtime.ensure()
    appcode.check(app, rt.file("python_stdlib.zip"))
    packages = packages if packages is not None else _locked_packages(app, rt)
    stop = SignalStop()
    hub = _hub() if dev else None
    server = AppServer(app, rt, permissions.grants(app), packages, log=log, dev=hub,
                       on_dev_report=hub.report if hub else None)
    watcher = _watcher(app, hub) if hub else None
    if watcher:
        watcher.start()
    try:
        return _serve(server, app, engine, stop, browser, debug, on_started)
    finally:
        if watcher:
            watcher.stop()


def _locked_packages(app: config.AppConfig, rt: runtime.Runtime) -> Packages:
    """`pyshell run/dev` only: the app's lock, re-made if stale, its wheels fetched."""
    from .deps.service import prepare

    return prepare(app, rt)


def _hub() -> Hub:
    from .dev.reload import Hub  # `pyshell dev` only

    return Hub()


def _watcher(app: config.AppConfig, hub: Hub) -> Watcher:
    from .dev.reload import forward  # `pyshell dev` only (and watchdog with it)
    from .dev.watcher import Watcher

    return Watcher(app.root, forward(app, hub))


def _serve(server: AppServer, app: config.AppConfig, engine: Engine | None, stop: SignalStop,
           browser: bool, debug: bool, on_started: OnStarted | None) -> int:
    with server:
        if browser:
            _open_in_browser(server, app.name)
            stop.wait()
            return 0
        assert engine is not None
        print(f"pyshell: {app.name} on {engine.name} at 127.0.0.1:{server.port}",
              file=sys.stderr)
        open_window(server.launch_url(), app.window, engine, stop, on_started=on_started,
                    debug=debug, navigation=Navigation(server.url[:-1], server.links.window_left),
                    closer=server.closer,
                    on_created=lambda window: server.use_dialogs(pywebview_dialogs(window)))
    return 0


def _open_in_browser(server: AppServer, name: str) -> None:
    """Hand the user's browser a single-use link: the first load gets the session, any
    later one (another process that read the link) is refused. Without a browser the link
    is printed for the user to open by hand."""
    link = server.launch_url()
    print(f"pyshell: serving {name} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
    if not webbrowser.open(link):
        print(f"pyshell: open this single-use link in your browser: {link}", file=sys.stderr)
