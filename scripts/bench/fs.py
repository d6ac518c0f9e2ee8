"""File-service benchmark: native CPython vs the app's Python through a grant, same files.

Engines: headless Chromium (Playwright, Debian's chromium), and real pywebview windows
(qt, gtk) under Xvfb. Each figure is also given as a ratio to native in the same run.

    .venv/bin/python scripts/bench/fs.py [--engines chromium,qt,gtk] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fs_workload  # noqa: E402
from report import publish  # noqa: E402
from startup import start_xvfb  # noqa: E402

MAIN = '''
import json
from pyshell import dom
from .fs_workload import measure, prepare

def main():
    results = {"grant": measure("/data")}
    prepare("/tmp/memfs")  # the same files in Pyodide's in-memory FS: the baseline
    results["memfs"] = measure("/tmp/memfs")
    dom.select("#out").text = json.dumps(results)
'''


def make_app(tmp: Path, data: Path) -> Path:
    app = tmp / "app"
    (app / "app").mkdir(parents=True)
    (app / "ui").mkdir()
    (app / "pyproject.toml").write_text(
        '[project]\nname = "fsbench"\n[tool.pyshell]\nentry = "app.main:main"\n'
        f'[[tool.pyshell.permissions.fs]]\npath = "{data}"\nmount = "/data"\nmode = "rw"\n')
    (app / "ui" / "index.html").write_text(
        "<html><head></head><body><pre id=out></pre></body></html>")
    (app / "app" / "__init__.py").write_text("")
    (app / "app" / "fs_workload.py").write_text((HERE / "fs_workload.py").read_text())
    (app / "app" / "main.py").write_text(MAIN)
    return app


def in_chromium(app: Path, tmp: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from pyshell.testing import CHROMIUM_ARGS, chromium_path, start_server, wait_until_started

    server = start_server(app, {"appdata": tmp / "appdata"})
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
            page = browser.new_page()
            page.goto(server.launch_url())
            wait_until_started(page, timeout_ms=300_000)
            text = page.locator("#out").inner_text()
            browser.close()
    finally:
        server.stop()
    return json.loads(text)


def in_window(app: Path, engine: str, display: str) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "fs_window.py"), str(app), engine],
                          env=dict(os.environ, DISPLAY=display), capture_output=True, text=True,
                          timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{engine} failed: {proc.stderr[-2000:]}")
    return json.loads(lines[0].removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="chromium,qt,gtk")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "data"
        fs_workload.prepare(str(data))
        results = {"native CPython": fs_workload.measure(str(data))}
        app = make_app(tmp, data)
        xvfb, display = start_xvfb()
        try:
            for engine in args.engines.split(","):
                print(f"bench: {engine}", file=sys.stderr)
                results[engine] = (in_chromium(app, tmp) if engine == "chromium"
                                               else in_window(app, engine, display))
        finally:
            xvfb.close()
    native = results["native CPython"]
    metrics = list(native)
    rows = ["| " + " | ".join(["where", *metrics]) + " |", "|" + "---|" * (len(metrics) + 1)]
    rows.append("| " + " | ".join(["native CPython", *(f"{native[m]:,.2f}" for m in metrics)])
                + " |")
    for where, both in results.items():
        if where == "native CPython":
            continue
        grant, memfs = both["grant"], both["memfs"]
        rows.append("| " + " | ".join([f"MEMFS, {where}", *(f"{memfs[m]:,.2f}" for m in metrics)])
                    + " |")
        cells = [f"{grant[m]:,.2f} ({grant[m] / native[m]:.3f}x native, "
                 f"{grant[m] / memfs[m]:.3f}x MEMFS)" for m in metrics]
        rows.append("| " + " | ".join([f"grant, {where}", *cells]) + " |")
    publish("File service: grant vs native CPython and vs MEMFS in the same page "
            "(rates per second, MB/s; iterdir+stat in seconds, lower is better)", rows,
            write=not args.no_write)

if __name__ == "__main__":
    main()
