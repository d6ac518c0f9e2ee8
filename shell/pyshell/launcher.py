"""`pyshell run` and installed apps: the app server plus a window (or the user's browser).

Part of the runtime that installed apps carry. They hand ``run`` their own runtime files
and wheels; only `pyshell run/dev` from a source folder lets it prepare them from the
user cache (``deps.service``, which may lock and download) and, for `pyshell dev`, start
the watcher. Those imports stay inside the functions that need them, on paths an
installed app never takes, so it does not carry that tooling.
"""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import appcode, associations, config, engines, instance, permissions, runtime, windowstate
from .engines import Engine, Navigation
from .instance import Launch
from .packages import Packages
from .pickers import pywebview_dialogs
from .server import AppServer
from .terminal import LogSink
from .window import OnStarted, SignalStop, open_window

if TYPE_CHECKING:
    from .dev.reload import Hub
    from .dev.watcher import Watcher
    from .selfupdate.updater import Updater


def run(app_dir: Path | str, *, gui: str | None = None, browser: bool = False,
        debug: bool = False, dev: bool = False, on_started: OnStarted | None = None,
        log: LogSink | None = None, rt: runtime.Runtime | None = None,
        packages: Packages | None = None, opened: Sequence[str] = (),
        updater: Updater | None = None, grants: Sequence[tuple[str, bool]] = ()) -> int:
    """Serve the app and show it; returns the exit code once the window is closed.

    ``dev``: watch the app's files and update the running app as they are saved.
    ``grants``: folders given at launch, ``("MOUNT=PATH", writable)`` (``--grant``).
    ``rt``/``packages``: an installed app's own runtime files and wheels (default: the
    user cache, the app's lock). ``opened``: the files and URLs of the command line, for
    the app's on_open (a URL's scheme must be one the app declares); when the app
    already runs (and is single-instance) they go to it and this returns 0 at once.
    ``updater``: an installed app's updates (the app's ``pyshell.updates``; without it the
    app is told updates are off).
    """
    app = permissions.at_launch(config.load(app_dir), grants)
    launch = instance.arguments(opened)
    for url in launch.urls:
        associations.check_url(url, app.url_schemes)
    single = instance.claim(app, launch) if app.single_instance else None
    if app.single_instance and single is None:
        print(f"pyshell: {app.name} is already running; handed this launch to it",
              file=sys.stderr)
        return 0
    try:
        return _run(app, launch, single, gui=gui, browser=browser, debug=debug, dev=dev,
                    on_started=on_started, log=log, rt=rt, packages=packages, updater=updater)
    finally:
        if single is not None:
            single.close()


def _run(app: config.AppConfig, launch: Launch, single: instance.SingleInstance | None, *,
         gui: str | None, browser: bool, debug: bool, dev: bool,
         on_started: OnStarted | None, log: LogSink | None, rt: runtime.Runtime | None,
         packages: Packages | None, updater: Updater | None) -> int:
    permissions.print_warnings(app)
    engine = None if browser else engines.choose(gui)
    rt = rt or runtime.ensure()
    appcode.check(app, rt.file("python_stdlib.zip"))
    packages = packages if packages is not None else _locked_packages(app, rt)
    stop = SignalStop()
    hub = _hub() if dev else None
    server = AppServer(app, rt, permissions.grants(app), packages, log=log, dev=hub,
                       on_dev_report=hub.report if hub else None, updater=updater)
    watcher = _watcher(app, hub) if hub else None
    if watcher:
        watcher.start()
    windows: list[Any] = []  # the app's window, once made: brought to the front on a launch
    if single is not None:
        single.listen(_on_launch(server, engine, windows))
    if launch:
        server.open(launch)
    try:
        code = _serve(server, app, engine, stop, browser, debug, on_started, windows)
    finally:
        if watcher:
            watcher.stop()
    return code


def leave(code: int) -> int:
    """The process's exit code once the app is over, leaving at once if a toolkit thread is
    stuck. pywebview injects its JS API from a thread of its own as a page loads, which
    waits for the toolkit's loop for ever if the window closed meanwhile (a Ctrl-C as the
    app starts), and Python's exit would wait for that thread. Call it last: everything of
    the app's is closed and saved by then."""
    stray = [t for t in threading.enumerate()
             if t is not threading.main_thread() and not t.daemon]
    for thread in stray:
        thread.join(timeout=2)
    if any(thread.is_alive() for thread in stray):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


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


def _on_launch(server: AppServer, engine: Engine | None, windows: list[Any]
               ) -> Callable[[Launch], None]:
    """A later launch of the app: its files and URLs to the app, its window to the front."""
    def opened(launch: Launch) -> None:
        server.open(launch)
        if engine is not None:
            for window in windows:
                engine.bring_to_front(window)

    return opened


def _serve(server: AppServer, app: config.AppConfig, engine: Engine | None, stop: SignalStop,
           browser: bool, debug: bool, on_started: OnStarted | None, windows: list[Any]) -> int:
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
                    closer=server.closer, on_drop=server.dropped,
                    remember=windowstate.state_file(app.name) if app.window.remember else None,
                    on_created=lambda window: _attach(server, engine, windows, window))
    return 0


def _attach(server: AppServer, engine: Engine, windows: list[Any], window: Any) -> None:
    """What the app reaches through its window: native file dialogs, menus, the
    clipboard and more windows; the window is kept for a second launch to bring to the front."""
    server.use_dialogs(pywebview_dialogs(window))
    server.menus.attach(engine, window)
    server.windows.attach(engine, window)
    server.clipboard.system = engine.clipboard(window)
    windows.append(window)


def _open_in_browser(server: AppServer, name: str) -> None:
    """Hand the user's browser a single-use link: the first load gets the session, any
    later one (another process that read the link) is refused. Without a browser the link
    is printed for the user to open by hand."""
    link = server.launch_url()
    print(f"pyshell: serving {name} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
    if not webbrowser.open(link):
        print(f"pyshell: open this single-use link in your browser: {link}", file=sys.stderr)
