"""Shared fixtures: fresh template apps, a virtual display, and where screenshots go."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyshell import scaffold

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
PYSHELL = [sys.executable, "-m", "pyshell.cli"]


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A new app made from the template, as `pyshell new` makes it."""
    return scaffold.create("sample-tasks", target=tmp_path / "sample-tasks")


@pytest.fixture
def make_app(tmp_path: Path):
    """Write a small app: ``make_app({"app/main.py": "..."})`` -> its folder."""

    def make(files: dict[str, str], name: str = "probe") -> Path:
        root = tmp_path / name
        defaults = {
            "pyproject.toml": f'[project]\nname = "{name}"\nversion = "1.0"\n'
                              '[tool.pyshell]\nentry = "app.main:main"\n',
            "app/__init__.py": "",
            "ui/index.html": '<!doctype html><html><head><title>probe</title></head>'
                             '<body><div id="out">static</div><ul id="list"></ul>'
                             '<button id="go">go</button></body></html>',
        }
        for rel, text in {**defaults, **files}.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make


def write_app(root: Path, main: str = "", extra_toml: str = "", name: str = "probe") -> Path:
    """A minimal app: ``main`` is app/main.py, ``extra_toml`` goes after [tool.pyshell]."""
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "ui").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n[tool.pyshell]\n'
                                         f'entry = "app.main:main"\n{extra_toml}')
    (root / "ui" / "index.html").write_text(
        "<html><head></head><body><pre id=out></pre></body></html>")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(main)
    return root


def grant_toml(path: Path | str, mount: str, mode: str) -> str:
    return f'[[tool.pyshell.permissions.fs]]\npath = "{path}"\nmount = "{mount}"\nmode = "{mode}"\n'


def run_app_page(browser, app: Path, appdata: Path, dialogs=None,
                 timeout_ms: int = 90_000, fast_path: bool = True) -> str:
    """Start the app on the real server in Chromium; the text its Python puts in #out."""
    from playwright.sync_api import expect

    from pyshell.testing import start_server, wait_until_started

    server = start_server(app, {"appdata": appdata})
    server.use_dialogs(dialogs)
    server.fs_fast_path = fast_path
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page, timeout_ms=timeout_ms)
        expect(page.locator("#out")).not_to_be_empty(timeout=timeout_ms)
        return page.locator("#out").inner_text()
    finally:
        context.close()
        server.stop()


@contextlib.contextmanager
def app_with_buttons(browser, app: Path, appdata: Path, buttons: list[str],
                     fast_path: bool = True) -> Iterator[tuple[Any, Any]]:
    """The app's page and server, with a button per id before #out, once main() has said
    "ready"."""
    from playwright.sync_api import expect

    from pyshell.testing import start_server, wait_until_started

    index = app / "ui" / "index.html"
    index.write_text(index.read_text().replace(
        "<pre id=out>", "".join(f"<button id={b}>{b}</button>" for b in buttons) + "<pre id=out>"))
    server = start_server(app, {"appdata": appdata})
    server.fs_fast_path = fast_path
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page)
        expect(page.locator("#out")).to_have_text("ready")
        yield page, server
    finally:
        context.close()
        server.stop()


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pyshell cache of the test's own (wheels, snapshots) sharing the fetched runtime."""
    from pyshell import runtime

    rt = runtime.ensure()
    root = tmp_path / "cache"
    (root / "pyodide").mkdir(parents=True)
    (root / "pyodide" / rt.version).symlink_to(rt.path)
    monkeypatch.setenv("PYSHELL_CACHE_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private X display for real windows; yields its DISPLAY value."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is missing: run scripts/setup.sh (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PYSHELL, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str,
                          progress: bool = False) -> None:
    """A user mistake: non-zero exit, exactly one line on stderr, no traceback.

    ``progress``: the command may print progress lines (``pyshell: ...``) before the error.
    """
    assert proc.returncode != 0, proc
    lines = proc.stderr.strip().splitlines()
    if progress:
        lines = [ln for ln in lines if not (ln.startswith(("pyshell: ", "  "))
                                            and not ln.startswith("pyshell: error: "))]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("pyshell: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
