"""`pyshell test`: an app's host tests (with its locked dependencies importable on the host)
and its UI tests (real Pyodide in Chromium) in one command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit import REPO
from kit.apps import grant_toml, write_app
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


SEEDED_UI_TEST = '''
import pytest
from playwright.sync_api import expect


@pytest.fixture
def pyshell_folders(pyshell_folders):
    pictures = pyshell_folders["home"] / "Pictures"
    pictures.mkdir()
    for name in ("a.jpg", "b.png"):
        (pictures / name).write_bytes(b"x")
    return pyshell_folders


def test_the_seeded_pictures_are_listed(pyshell_page, pyshell_boot):
    expect(pyshell_page.locator("#out")).to_have_text("a.jpg b.png")
'''


def test_seeded_folders_reach_the_cold_and_the_snapshot_runs(tmp_path: Path) -> None:
    """An app that needs {home}/Pictures to exist (create = false) starts in both runs of
    its UI tests once the test's pyshell_folders override made it."""
    root = write_app(tmp_path / "gallery", "import os\nfrom pyshell import dom\n"
                     "def main():\n    dom.select('#out').text = "
                     "' '.join(sorted(os.listdir('/pictures')))\n",
                     extra_toml=grant_toml("{home}/Pictures", "/pictures", "ro"))
    (root / "tests").mkdir()
    (root / "tests" / "test_ui.py").write_text(SEEDED_UI_TEST)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-rs"], cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO / "shell")})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]
