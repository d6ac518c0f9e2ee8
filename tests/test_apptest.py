"""`pyshell test`: an app's host tests (with its locked dependencies importable on the host)
and its UI tests (real Pyodide in Chromium) in one command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import assert_one_line_error, run_cli
from wheelmaker import make_wheel

HOST_TEST = '''
import greeting_lib
from app.logic import greet

def test_logic_uses_the_dependency():
    assert greeting_lib.VERSION == "1.2"
    assert greet("ada") == "hello ada from greeting-lib"
'''

UI_TEST = '''
from playwright.sync_api import expect

def test_the_page_greets(pyshell_page):
    expect(pyshell_page.locator("#out")).to_have_text("hello ada from greeting-lib")
'''


@pytest.fixture
def app(tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    links = tmp_path / "links"
    make_wheel(links, "greeting-lib", "1.2")
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip sees only the test's own package folder
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    root = write_app(tmp_path / "app", "from pyshell import dom\nfrom app.logic import greet\n"
                     "def main():\n    dom.select('#out').text = greet('ada')\n")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace(
        "[tool.pyshell]", 'version = "1.0"\ndependencies = ["greeting-lib==1.2"]\n[tool.pyshell]'))
    (root / "app" / "logic.py").write_text(
        "import greeting_lib\n\ndef greet(name):\n"
        "    return f'hello {name} from {greeting_lib.NAME}'\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_logic.py").write_text(HOST_TEST)
    (root / "tests" / "test_ui.py").write_text(UI_TEST)
    return root


def test_host_and_ui_tests_run_with_the_locked_dependency(app: Path) -> None:
    proc = run_cli("test", str(app), "--", "-q", "-p", "no:cacheprovider", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout  # the host test, and the UI test [cold] and [snapshot]

    # Again offline: the lock, its wheels and the host install all come from the cache.
    offline = {**os.environ, "PYSHELL_OFFLINE": "1", "PIP_FIND_LINKS": str(app / "nowhere")}
    proc = run_cli("test", str(app), "--", "-q", "-p", "no:cacheprovider",
                   "tests/test_logic.py", env=offline, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_a_failing_test_fails_the_command(app: Path) -> None:
    (app / "tests" / "test_logic.py").write_text("def test_no():\n    assert 1 == 2\n")
    proc = run_cli("test", str(app), "--", "-q", "tests/test_logic.py", timeout=600)
    assert proc.returncode == 1 and "1 failed" in proc.stdout


def test_a_dependency_missing_for_the_host_is_one_line(app: Path, tmp_path: Path) -> None:
    run_cli("lock", str(app), timeout=600)  # locked while the package is reachable
    env = {**os.environ, "PIP_FIND_LINKS": str(tmp_path / "empty")}
    proc = run_cli("test", str(app), env=env, timeout=600)
    assert_one_line_error(proc, "greeting-lib==1.2", "host tests import them", progress=True)
