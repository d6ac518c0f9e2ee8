import subprocess
import sys
from pathlib import Path

import pytest

from kit.procs import assert_one_line_error, run_cli
from pyshell import config, scaffold
from pyshell.errors import PyshellError


def test_new_fills_names(tmp_path: Path) -> None:
    proc = run_cli("new", "my-notes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    dest = tmp_path / "my-notes"
    app = config.load(dest)
    assert app.name == "my-notes" and app.window.title == "My Notes"
    assert "{{" not in (dest / "ui" / "index.html").read_text()
    assert (dest / "tests" / "test_ui.py").is_file()


def test_new_with_dir(tmp_path: Path) -> None:
    proc = run_cli("new", "notes", "--dir", str(tmp_path / "elsewhere"))
    assert proc.returncode == 0, proc.stderr
    assert config.load(tmp_path / "elsewhere").name == "notes"


@pytest.mark.parametrize(("name", "needle"), [
    ("json", "shadow"), ("pyshell", "shadow"), ("class", "identifier"), ("9lives", "invalid"),
    ("my notes", "invalid"), ("bad!", "invalid"), ("x-", "invalid"),
])
def test_bad_names_touch_nothing(tmp_path: Path, name: str, needle: str) -> None:
    proc = run_cli("new", name, cwd=tmp_path)
    assert_one_line_error(proc, needle)
    assert list(tmp_path.iterdir()) == []


def test_existing_non_empty_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    keep = tmp_path / "notes" / "keep.txt"
    keep.write_text("mine")
    proc = run_cli("new", "notes", cwd=tmp_path)
    assert_one_line_error(proc, "not empty")
    assert keep.read_text() == "mine" and len(list((tmp_path / "notes").iterdir())) == 1


def test_empty_existing_dir_is_used(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    scaffold.create("notes", parent=tmp_path)
    assert (tmp_path / "notes" / "pyproject.toml").is_file()


def test_template_tests_pass_with_plain_pytest(app_dir: Path) -> None:
    """The new app's own suite (logic on the host, UI in real Pyodide + Chromium) is green."""
    pytest = str(Path(sys.executable).parent / "pytest")  # the console script, as a user runs it
    proc = subprocess.run([pytest, "-q", "-p", "no:cacheprovider"], cwd=app_dir,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_names_for() -> None:
    names = scaffold.names_for("my_cool-app")
    assert (names.module, names.title) == ("my_cool_app", "My Cool App")
    with pytest.raises(PyshellError):
        scaffold.names_for("os")
