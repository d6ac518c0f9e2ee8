"""pyshell.bootstrap's steps for the worker, on the host: what worker.mjs once held as
Python source in strings is tested here like any other module."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import sysconfig
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import Any

import pytest

from pyshell import bootstrap, dom, precompiled
from pyshell.transport import RecordingTransport


def test_wheels_go_to_site_packages() -> None:
    assert bootstrap.wheel_folder() == sysconfig.get_paths()["purelib"]


def test_prepare_gives_a_restored_random_a_new_sequence() -> None:
    random.seed(1234)
    restored = random.random()
    random.seed(1234)
    bootstrap.prepare()
    assert random.random() != restored


def test_prepare_lets_new_files_in_a_listed_folder_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError):
        __import__("pyshell_late_module")  # the folder is listed, and the name not in it
    listed = os.stat(tmp_path)
    (tmp_path / "pyshell_late_module.py").write_text("VALUE = 7\n")
    # As after a restore: the folder looks unchanged to the cached listing.
    os.utime(tmp_path, ns=(listed.st_atime_ns, listed.st_mtime_ns))
    bootstrap.prepare()
    assert __import__("pyshell_late_module").VALUE == 7
    del sys.modules["pyshell_late_module"]


def test_warm_imports_ahead_compiles_ahead_and_names_what_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app, wheels = tmp_path / "app", tmp_path / "site"
    (app / "warm_pkg").mkdir(parents=True)
    wheels.mkdir()
    (app / "warm_pkg" / "__init__.py").write_text("")
    (app / "warm_pkg" / "later.py").write_text("X = 1\n")
    (wheels / "lib.py").write_text("Y = 2\n")
    monkeypatch.setattr(bootstrap, "APP_ROOT", f"{app}/")
    monkeypatch.setattr(bootstrap, "wheel_folder", lambda: str(wheels))
    monkeypatch.setattr(precompiled, "_code", {})
    monkeypatch.setattr(SourceFileLoader, "source_to_code", SourceFileLoader.source_to_code)
    monkeypatch.syspath_prepend(str(app))
    bootstrap.warm(["json", "warm_pkg", "_winapi", "no_such_package"])
    assert "warm_pkg" in sys.modules and "pyshell.files" in sys.modules
    del sys.modules["warm_pkg"]
    assert set(precompiled._code) == {str(app / "warm_pkg" / "later.py"), str(wheels / "lib.py")}
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "pyshell: not in the start-up snapshot: no_such_package (ModuleNotFoundError")


def test_warm_leaves_syntax_errors_to_the_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "warm_broken.py").write_text("def f(:\n")
    monkeypatch.setattr(bootstrap, "APP_ROOT", f"{tmp_path}/")
    monkeypatch.setattr(bootstrap, "wheel_folder", lambda: str(tmp_path / "none"))
    monkeypatch.setattr(precompiled, "_code", {})
    monkeypatch.setattr(SourceFileLoader, "source_to_code", SourceFileLoader.source_to_code)
    monkeypatch.syspath_prepend(str(tmp_path))
    bootstrap.warm(["warm_broken"])
    assert capsys.readouterr().err == ""  # said once, by the start that imports it


# -- start, and dev mode's reload after a failed start ---------------------------------------

def run(coro: Any) -> Any:
    """asyncio.run in its own thread: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


MAIN = '''
import fixlog
from fixpkg import helper

def main():
    fixlog.calls.append("main " + helper.WORD)

def on_reload():
    fixlog.calls.append("on_reload " + helper.WORD)
'''


@pytest.fixture
def fixpkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An app package ``fixpkg`` (entry ``fixpkg.main:main``) that logs its calls in
    ``fixlog.calls``; its modules are forgotten afterwards."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # rewrites within one mtime tick
    monkeypatch.setattr(precompiled, "_code", {})
    monkeypatch.setattr(SourceFileLoader, "source_to_code", SourceFileLoader.source_to_code)
    monkeypatch.setattr(bootstrap, "APP_ROOT", f"{tmp_path}/")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "fixlog.py").write_text("calls = []\n")
    pkg = tmp_path / "fixpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("WORD = 'one'\n")
    (pkg / "main.py").write_text(MAIN)
    yield pkg
    for name in [n for n in sys.modules if n.split(".")[0] in ("fixpkg", "fixlog")]:
        del sys.modules[name]
    dom.use_transport(None)


def calls() -> list[str]:
    return list(sys.modules["fixlog"].calls)


@pytest.mark.parametrize("broken", ["entry", "helper", "main"])
def test_a_start_that_failed_is_completed_by_the_fix(fixpkg: Path, broken: str) -> None:
    main, helper = fixpkg / "main.py", fixpkg / "helper.py"
    if broken == "entry":
        main.write_text(MAIN.replace("def main():", "def main()"))
    elif broken == "helper":
        helper.write_text("WORD = 'one\n")
    else:
        main.write_text(MAIN.replace('    fixlog.calls.append("main "', '    1 / 0\n    ("main "'))
    page = RecordingTransport()
    precompiled.compile_tree(str(fixpkg))  # as after a snapshot: its frames are not shown
    assert run(bootstrap.start("fixpkg.main:main", page)) is False
    (error,) = page.errors
    assert ("ZeroDivisionError" if broken == "main" else "SyntaxError") in error
    assert "precompiled.py" not in error and "bootstrap.py" not in error, error
    assert f"fixpkg/{'helper' if broken == 'helper' else 'main'}.py" in error

    main.write_text(MAIN)
    helper.write_text("WORD = 'two'\n")
    changed = ["fixpkg.helper"] if broken == "helper" else ["fixpkg.main"]
    assert run(bootstrap.reload(changed)) == bootstrap.STARTED
    assert calls() == ["main two"]  # main() ran, on_reload() did not
    assert page.errors[-1] == ""  # the panel is cleared

    helper.write_text("WORD = 'three'\n")
    assert run(bootstrap.reload(["fixpkg.helper"])) is True
    assert calls() == ["main two", "on_reload three"]  # started once: now on_reload()


def test_a_fix_that_still_fails_starts_nothing(fixpkg: Path) -> None:
    main = fixpkg / "main.py"
    main.write_text(MAIN.replace("def main():", "def main()"))
    page = RecordingTransport()
    assert run(bootstrap.start("fixpkg.main:main", page)) is False
    main.write_text(MAIN.replace("def main():", "def main():\n    raise KeyError('still')\n"))
    assert run(bootstrap.reload(["fixpkg.main"])) is False
    assert "KeyError: 'still'" in page.errors[-1]
    main.write_text(MAIN)
    assert run(bootstrap.reload(["fixpkg.main"])) == bootstrap.STARTED
    assert calls() == ["main one"]


def test_a_started_app_reloads_without_running_main_again(fixpkg: Path) -> None:
    page = RecordingTransport()
    assert run(bootstrap.start("fixpkg.main:main", page)) is True
    assert run(bootstrap.reload(["fixpkg.main"])) is True
    assert calls() == ["main one", "on_reload one"]
