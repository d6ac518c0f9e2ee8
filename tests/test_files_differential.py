"""The same file code, natively and in the app's Pyodide through a grant: same results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fs_scripts import PRELUDE, SCRIPTS
from pyshell.testing import start_server, wait_until_started

pytestmark = pytest.mark.page

RUNNER = '''
import json
from pyshell import dom
from .scripts import PRELUDE, SCRIPTS

def main():
    results = {}
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


@pytest.fixture(scope="module")
def both(tmp_path_factory, pyshell_browser) -> tuple[dict, dict, Path]:
    tmp = tmp_path_factory.mktemp("differential")
    (tmp / "native").mkdir()
    native = run_native(tmp / "native")
    app = tmp / "app"
    (app / "app").mkdir(parents=True)
    (app / "ui").mkdir()
    (app / "granted").mkdir()
    (app / "pyproject.toml").write_text(
        '[project]\nname = "difftest"\n[tool.pyshell]\nentry = "app.main:main"\n'
        '[[tool.pyshell.permissions.fs]]\npath = "granted"\nmount = "/data"\nmode = "rw"\n')
    (app / "ui" / "index.html").write_text("<html><head></head><body><pre id=out></pre></body></html>")
    (app / "app" / "__init__.py").write_text("")
    (app / "app" / "scripts.py").write_text(f"PRELUDE = {PRELUDE!r}\nSCRIPTS = {SCRIPTS!r}\n")
    (app / "app" / "main.py").write_text(RUNNER)
    server = start_server(app, {"appdata": tmp / "appdata"})
    context = pyshell_browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url)
        wait_until_started(page, timeout_ms=180_000)
        expect(page.locator("#out")).not_to_be_empty(timeout=180_000)
        wasm = json.loads(page.locator("#out").inner_text())
    finally:
        context.close()
        server.stop()
    return native, wasm, app / "granted"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_same_results_as_native(both, name: str) -> None:
    native, wasm, _ = both
    assert wasm[name] == native[name]


def test_files_really_are_on_the_host(both) -> None:
    _, _, granted = both
    assert (granted / "text_and_bytes" / "notes.txt").read_text(encoding="utf-8") == "héllo\nwörld\n"
    assert (granted / "streaming" / "big.bin").stat().st_size == 48 * 65536
    assert not [p for p in granted.rglob("*") if ".pyshell-tmp" in p.name]
