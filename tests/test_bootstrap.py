"""pyshell.bootstrap's steps for the worker, on the host: what worker.mjs once held as
Python source in strings is tested here like any other module."""

from __future__ import annotations

import os
import random
import sys
import sysconfig
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

from pyshell import bootstrap, precompiled


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
