"""Files dropped on the window become grants of their own and reach the app's on_drop:
real Qt and GTK windows under Xvfb (Qt: the drop posted to its web view as a desktop
drag's events; GTK: a real X drag with the mouse from a window offering the file; the
drag source is the edge), the app's Python in real Pyodide."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import PYSHELL, findings
from pyshell import config
from pyshell.errors import PyshellError

HARNESS = Path(__file__).with_name("window_drop_harness.py")
ON_DROP = r'''
import json, os
from pyshell import app, dom

def attempt(fn):
    try:
        return fn()
    except OSError as exc:
        return type(exc).__name__

@app.on_drop
def dropped(paths):
    path = paths[0]
    dom.select("#out").text = json.dumps({
        "paths": paths, "text": open(path).read(),
        "write": attempt(lambda: open(path, "a").write("!")),
        "sibling": attempt(lambda: open(os.path.join(os.path.dirname(path), "other.txt")).read()),
    })

def main():
    pass
'''


@pytest.mark.window
@pytest.mark.parametrize(("mode", "engine"), [("ro", "qt"), ("rw", "qt"), ("rw", "gtk")])
def test_a_dropped_file_is_a_grant(mode: str, engine: str, tmp_path: Path, xvfb: str) -> None:
    app = write_app(tmp_path / "app", ON_DROP,
                    f'snapshot = false\n[tool.pyshell.permissions]\ndrop = "{mode}"\n')
    doc = tmp_path / "desk" / "report.txt"
    doc.parent.mkdir()
    doc.write_text("dropped text")
    (doc.parent / "other.txt").write_text("not dropped")
    env = dict(os.environ, DISPLAY=xvfb, XDG_RUNTIME_DIR=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path / "data"),
               PYTHONPATH=os.pathsep.join([str(HARNESS.parent), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([PYSHELL[0], str(HARNESS), str(app), str(doc), engine], env=env,
                          capture_output=True, text=True, timeout=180)
    found = findings(proc)
    assert "out" in found, proc.stderr[-3000:]
    out = found["out"]
    assert out["paths"] == ["/dropped/1/report.txt"]
    assert out["text"] == "dropped text"
    assert out["sibling"] == "PermissionError"
    if mode == "ro":
        assert out["write"] == "PermissionError" and doc.read_text() == "dropped text"
    else:
        assert out["write"] == 1 and doc.read_text() == "dropped text!"


def test_a_bad_drop_mode_is_one_line(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", extra_toml='[tool.pyshell.permissions]\ndrop = "yes"\n')
    with pytest.raises(PyshellError, match=r"drop must be 'ro' or 'rw', got 'yes'"):
        config.load(app)
