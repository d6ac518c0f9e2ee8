"""The `pyshell` command: parse, call one service, print. Nothing imports this module."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import PyshellError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"pyshell: error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pyshell", description="Ship Python desktop apps: UI in a native "
                     "webview, logic in Pyodide, host files through capabilities.")
    parser.add_argument("--version", action="version", version=f"pyshell {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    new = sub.add_parser("new", help="create an app from the template")
    new.add_argument("name", help="app name, e.g. notes or my-notes")
    new.add_argument("--dir", type=Path, help="folder to create (default: ./NAME)")

    run = sub.add_parser("run", help="run an app in its window")
    run.add_argument("app_dir", nargs="?", default=".", type=Path)
    run.add_argument("open", nargs="*", metavar="FILE_OR_URL",
                     help="files or URLs to open with the app (its on_open handlers)")
    run.add_argument("--gui", choices=("qt", "gtk"), help="webview engine (default: best found)")
    run.add_argument("--browser", action="store_true",
                     help="open the app in your browser instead of a window (debugging)")
    run.add_argument("--debug", action="store_true", help="enable the webview's inspector")
    _grant_options(run)

    dev = sub.add_parser("dev", help="run an app and update it live as you save files")
    dev.add_argument("app_dir", nargs="?", default=".", type=Path)
    dev.add_argument("open", nargs="*", metavar="FILE_OR_URL",
                     help="files or URLs to open with the app (its on_open handlers)")
    dev.add_argument("--gui", choices=("qt", "gtk"), help="webview engine (default: best found)")
    dev.add_argument("--browser", action="store_true", help="use your browser instead")
    dev.add_argument("--debug", action="store_true", help="enable the webview's inspector")
    _grant_options(dev)

    lock = sub.add_parser("lock", help="resolve [project].dependencies for WebAssembly and "
                          "write pyshell-lock.json")
    lock.add_argument("app_dir", nargs="?", default=".", type=Path)

    test = sub.add_parser("test", help="run the app's tests: host tests with its locked "
                          "dependencies importable, and UI tests in real Pyodide")
    test.add_argument("app_dir", nargs="?", default=".", type=Path)
    test.epilog = "Arguments after -- go to pytest, e.g. pyshell test -- -k ui -x"

    build = sub.add_parser("build", help="make installers: .deb, .tar.gz, a static web site, "
                           "and a CI workflow for Windows/macOS")
    build.add_argument("app_dir", nargs="?", default=".", type=Path)
    build.add_argument("--target", action="append", metavar="TARGET",
                       help="deb, tarball, web, workflow, msi, dmg, update or apt-repo; repeat for "
                            "several "
                            "(default: all this system can build)")
    build.add_argument("--json", action="store_true", help="print the size report as JSON")

    keys = sub.add_parser("keys", help="manage the key that signs the app's updates")
    # A subcommand of its own, so that options may come before APP_DIR (`keys new --apt .`).
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="new")
    new_key = key_actions.add_parser("new", help="make the app's signing key")
    new_key.add_argument("app_dir", nargs="?", default=".", type=Path)
    new_key.add_argument("--force", action="store_true", help="replace an existing key")
    new_key.add_argument("--apt", action="store_true",
                         help="make the OpenPGP key that signs the APT repository instead")

    sub.add_parser("doctor", help="check the runtime and the webview engines")

    rt = sub.add_parser("runtime", help="manage the Pyodide runtime")
    rt.add_argument("action", choices=("fetch", "path"))
    return parser


def _grant_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--grant", action="append", default=[], metavar="MOUNT=PATH",
                        help="also grant the folder PATH, read-only, at MOUNT (repeatable)")
    parser.add_argument("--grant-rw", action="append", default=[], metavar="MOUNT=PATH",
                        help="also grant the folder PATH, read-write, at MOUNT (repeatable)")


def _launch_grants(args: argparse.Namespace) -> list[tuple[str, bool]]:
    return [(spec, False) for spec in args.grant] + [(spec, True) for spec in args.grant_rw]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = _parser().parse_args(argv[:cut])
    args.passed_on = argv[cut + 1:]  # after --: for pytest (`pyshell test`)
    try:
        return _dispatch(args)
    except PyshellError as exc:
        print(f"pyshell: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "new":
        from .scaffold import create

        dest = create(args.name, target=args.dir)
        print(f"created {dest}\nnext: cd {dest} && pyshell run")
        return 0
    if args.command in ("run", "dev"):
        from .launcher import leave, run

        return leave(run(args.app_dir, gui=args.gui, browser=args.browser, debug=args.debug,
                         dev=args.command == "dev", opened=args.open,
                         grants=_launch_grants(args)))
    if args.command == "lock":
        from . import config, runtime
        from .deps.service import lock

        lock(config.load(args.app_dir), runtime.ensure())
        return 0
    if args.command == "test":
        from .apptest import run as run_tests

        return run_tests(args.app_dir, args.passed_on)
    if args.command == "build":
        from . import config, permissions
        from .build import report
        from .build.service import build

        artifacts = build(args.app_dir, args.target)
        allowed = permissions.summary(config.load(args.app_dir))
        print(report.to_json(artifacts, allowed) if args.json
              else report.text(artifacts) + "\n" + "\n".join(allowed))
        return 0
    if args.command == "keys" and args.apt:
        from .build import aptkey

        home, fingerprint = aptkey.new(args.app_dir, force=args.force)
        print(f"APT signing key: {fingerprint} in {home} (keep it safe, outside the app "
              "folder; back it up)")
        return 0
    if args.command == "keys":
        from .selfupdate import keys

        path, public = keys.new(args.app_dir, force=args.force)
        print(f"private key: {path} (keep it safe, outside the app folder; back it up)\n"
              f"public key:  {public} (written to [tool.pyshell.updates] public-key)")
        return 0
    if args.command == "doctor":
        from .doctor import check

        health = check()
        print("\n".join(health.lines()))
        return 0 if health.ok else 1
    if args.command == "runtime":
        from . import runtime

        if args.action == "fetch":
            rt = runtime.ensure()
            print(f"Pyodide {rt.version} ready in {rt.path}")
        else:
            print(runtime.runtime_dir())
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
