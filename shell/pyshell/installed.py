"""The entry point of an installed app (.deb, .tar.gz): everything from its own folder.

An installed app carries its runtime files, its locked wheels and pyshell's runtime (the
modules ``build.host.RUNTIME_MODULES`` lists: no resolver, build or dev tooling); it uses no
cache and no network, and runs with the same app server, token and grant rules as
``pyshell run``. The launcher script calls ``main(BUNDLE_DIR)``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from . import config, launcher
from .deps import lock as lockfile
from .engines.gtk import Gtk
from .errors import PyshellError
from .packages import Packages
from .runtime import PYODIDE_VERSION, Runtime


def main(bundle: str | Path, argv: list[str] | None = None) -> int:
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
        packages = bundled_packages(root)
        rt = Runtime(PYODIDE_VERSION, root / "runtime")
        return launcher.run(root, gui=args.gui, debug=args.debug, rt=rt, packages=packages,
                            opened=args.open)
    except KeyboardInterrupt:
        return 130
    except PyshellError as exc:
        print(f"{app_name(root)}: error: {exc}", file=sys.stderr)
        return 1


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
