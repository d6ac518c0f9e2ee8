"""The built wheel carries the runtime JS and the template, and works from a clean venv."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(REPO)], check=True, timeout=300)
    (found,) = out.glob("pyshell-*.whl")
    return found


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("pyshell/cli.py", "pyshell/server.py", "pyshell/testing.py",
                     "pyshell/routes/page.py", "pyshell/guard/origin.py",
                     "pyshell/wasm_runtime/loader.mjs", "pyshell/wasm_runtime/worker.mjs",
                     "pyshell/wasm_runtime/protocol.mjs",
                     "pyshell/wasm_runtime/python/pyshell/dom.py",
                     "pyshell/app_template/pyproject.toml", "pyshell/app_template/app/main.py",
                     "pyshell/app_template/ui/index.html",
                     "pyshell/app_template/tests/test_ui.py"):
        assert required in names, required
    assert not [n for n in names if n.endswith((".wasm", ".pyc")) or "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "pyshell = pyshell.cli:main" in text and "pyshell = pyshell.testing" in text


def test_host_and_wasm_modules_do_not_collide() -> None:
    host = {p.stem for p in (REPO / "shell" / "pyshell").glob("*.py")} - {"__init__"}
    wasm = {p.stem for p in (REPO / "wasm_runtime" / "python" / "pyshell").glob("*.py")}
    assert not host & wasm, host & wasm


def test_clean_venv_install_runs_pyshell_new(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the wheel
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600,
                   env=clean)
    proc = subprocess.run([str(venv / "bin" / "pyshell"), "new", "notes"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=clean)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "notes" / "app" / "main.py").is_file()
    assert 'name = "notes"' in (tmp_path / "notes" / "pyproject.toml").read_text()
    check = subprocess.run([str(py), "-c", "import pyshell.dom, pyshell.resources as r; "
                            "print(r.WASM_RUNTIME_DIR)"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60, env=clean)
    assert check.returncode == 0, check.stderr
    assert str(venv) in check.stdout and "site-packages/pyshell/wasm_runtime" in check.stdout


APP_CODE = '''
from pyshell import dom, files, updates
from pyshell.html import h


@dom.on("click", "#go")
async def go(event: dom.Event) -> None:
    dom.select("#out").html = h("b", event.type)
    where: str | None = await files.download("a.txt", "text")
    progress: float | None = (await updates.check()).progress
'''


def test_an_app_authors_type_checker_sees_the_app_api(wheel: Path, tmp_path: Path) -> None:
    """The wheel carries pyshell.dom & co. as modules of its own, so mypy (strict) checks an
    app's code against them: right code passes, a wrong call is caught."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    str(wheel)], check=True, timeout=600)
    (tmp_path / "good.py").write_text(APP_CODE)
    (tmp_path / "bad.py").write_text(APP_CODE.replace('h("b", event.type)', "h(3)"))

    def mypy(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                               "--python-executable", str(venv / "bin" / "python"), name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)

    good = mypy("good.py")
    assert good.returncode == 0, good.stdout
    bad = mypy("bad.py")
    assert bad.returncode == 1 and 'Argument 1 to "h" has incompatible type' in bad.stdout, \
        bad.stdout
