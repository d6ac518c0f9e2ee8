"""The same file code, natively and in the app's Pyodide through a grant: same results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fs_scripts import PRELUDE, SCRIPTS
from kit.apps import grant_toml, run_app_page, write_app

pytestmark = pytest.mark.page

RUNNER = '''
import json
import js
from pyshell import dom
from .scripts import PRELUDE, SCRIPTS

def main():
    results = {"transport": js.pyshellFileTransport}
    for name, code in SCRIPTS.items():
        out = []
        scope = {"base": "/data/" + name, "rec": lambda *v: out.append(v if len(v) > 1 else v[0])}
        import os
        os.mkdir(scope["base"])
        exec(PRELUDE + code, scope)
        results[name] = out
    dom.select("#out").text = json.dumps(results, default=repr)
'''


def run_native(root: Path) -> dict[str, list]:
    results = {}
    for name, code in SCRIPTS.items():
        out: list = []
        base = root / name
        base.mkdir()
        scope = {"base": str(base), "rec": lambda *v: out.append(v if len(v) > 1 else v[0])}
        exec(PRELUDE + code, scope)
        results[name] = out
    return json.loads(json.dumps(results, default=repr))


@pytest.fixture(scope="module", params=["shared-memory", "xhr"])
def both(request, tmp_path_factory, pyshell_browser) -> tuple[dict, dict, Path]:
    """Native results, and the same scripts in Pyodide over each file transport."""
    tmp = tmp_path_factory.mktemp("differential")
    (tmp / "native").mkdir()
    native = run_native(tmp / "native")
    app = write_app(tmp / "app", RUNNER, grant_toml("granted", "/data", "rw"))
    (app / "granted").mkdir()
    (app / "app" / "scripts.py").write_text(f"PRELUDE = {PRELUDE!r}\nSCRIPTS = {SCRIPTS!r}\n")
    wasm = json.loads(run_app_page(pyshell_browser, app, tmp / "appdata", timeout_ms=180_000,
                                   fast_path=request.param == "shared-memory"))
    assert wasm.pop("transport") == request.param
    return native, wasm, app / "granted"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_same_results_as_native(both, name: str) -> None:
    native, wasm, _ = both
    assert wasm[name] == native[name]


def test_files_really_are_on_the_host(both) -> None:
    _, _, granted = both
    assert (granted / "text_and_bytes" / "notes.txt").read_text(encoding="utf-8") == "héllo\nwörld\n"
    assert (granted / "streaming" / "big.bin").stat().st_size == 48 * 65536
