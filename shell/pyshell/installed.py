"""The entry point of an installed app (.deb, .tar.gz): everything from its own folder.

An installed app carries its runtime files, its locked wheels and pyshell's runtime (the
modules ``build.host.RUNTIME_MODULES`` lists: no resolver, build or dev tooling); it uses no
cache and no network, and runs with the same app server, token and grant rules as
``pyshell run``. The launcher script calls ``main(BUNDLE_DIR)``.

An app that declares an update site (``[tool.pyshell.updates] url``) may run a newer
version than the one installed: ``updates.layout`` chooses it at each launch, and
``updates.updater`` checks the site once the window is up (the only connection an
installed app makes, from this process). An app without one never loads that code.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, config, launcher, snapshots
from .deps import lock as lockfile
from .engines.gtk import Gtk
from .errors import PyshellError
from .packages import Packages
from .runtime import PYODIDE_VERSION, Runtime

if TYPE_CHECKING:
    from .selfupdate.updater import Updater


def main(bundle: str | Path, argv: list[str] | None = None, *,
         self_update: bool = True) -> int:
    """Run the app in ``bundle``. ``self_update``: False for a package the system
    updates (the .deb, through apt): it never checks an update site."""
    parser = argparse.ArgumentParser(description="Run this app.")
    parser.add_argument("--gui", choices=("gtk", "qt"),
                        default="gtk" if sys.platform.startswith("linux") else None)
    parser.add_argument("--debug", action="store_true", help="enable the webview's inspector")
    parser.add_argument("open", nargs="*", metavar="FILE_OR_URL",
                        help="files or URLs to open with the app")
    args = parser.parse_args(argv)
    root = Path(bundle)
    try:
        if args.gui == "gtk":
            Gtk().check_system()
        root, updater = _choose_version(root) if self_update else (root, None)
        packages = bundled_packages(root)
        rt = Runtime(PYODIDE_VERSION, root / "runtime")
        code = launcher.run(root, gui=args.gui, debug=args.debug, rt=rt, packages=packages,
                            opened=args.open, updater=updater,
                            on_started=updater.start if updater is not None else None)
    except KeyboardInterrupt:
        return 130
    except PyshellError as exc:
        print(f"{app_name(root)}: error: {exc}", file=sys.stderr)
        return 1
    if code == 0 and updater is not None and updater.restart_requested:
        sys.stdout.flush()  # exec drops what is still buffered
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)  # the same command: it runs the update
    return launcher.leave(code)


def _choose_version(shipped: Path) -> tuple[Path, Updater | None]:
    """The bundle to run (the installed one, or an update) and its updater; the installed
    bundle and none for an app without an update site."""
    app = config.load(shipped)
    if app.updates is None or app.updates.url is None:
        return shipped, None
    try:
        from .selfupdate import service
        from .selfupdate.layout import Layout
        from .selfupdate.updater import Updater
    except ImportError as exc:  # python3-cryptography: the signature check needs it
        print(f"pyshell: updates are off: {exc}; install python3-cryptography",
              file=sys.stderr)
        return shipped, None
    layout = Layout(update_folder(app.name), shipped, app.version)
    try:
        choice = layout.choose()
    except OSError as exc:  # the data folder cannot be written: run what is installed
        print(f"pyshell: updates are off this time: {exc}", file=sys.stderr)
        return shipped, None
    if choice.notice is not None:
        print(f"pyshell: {choice.notice}", file=sys.stderr)
        snapshots.SnapshotStore(app.name, "").clear()  # the failed version's
    running = config.load(choice.bundle)
    if running.updates is None or running.updates.url is None:
        return choice.bundle, None
    updater = Updater(running.updates, layout,
                      service.Running(running.name, running.version, choice.bundle,
                                      __version__, PYODIDE_VERSION),
                      _stderr_line, choice.notice,
                      layout.state().failed if choice.notice else None)
    return choice.bundle, updater


def update_folder(app: str) -> Path:
    """Where an app's updates live: pyshell's own folder in the user's data folder, apart
    from the app's {appdata}, so the app's Python can never rewrite the code it runs next."""
    import platformdirs

    folder = re.sub(r"[^A-Za-z0-9_.-]", "_", app).lstrip(".") or "app"  # one plain name
    return platformdirs.user_data_path("pyshell", appauthor=False) / "updates" / folder


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def bundled_packages(root: Path) -> Packages:
    """The wheels the app carries, each checked against its lock (a damaged install is a
    one-line error, not a broken app)."""
    lock = lockfile.read(root)
    if lock is None:
        return Packages()
    files = {}
    for pkg in lock.packages:
        path = root / "wheels" / pkg.file_name
        if not path.is_file() or _sha256(path) != pkg.sha256:
            raise PyshellError(f"{path} is missing or damaged; reinstall the app")
        files[pkg.file_name] = path
    return Packages(lock, files)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def app_name(root: Path) -> str:
    try:
        return config.load(root).name
    except PyshellError:
        return "app"
