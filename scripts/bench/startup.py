"""Start-up benchmark: raw Pyodide boot vs. `pyshell run` of the template, same run, same engine.

(a) baseline: a bare page that only does loadPyodide + runPython("1+1"), served by the same
    app server from the same runtime files.
(b) pyshell: the template app, until Python has rendered its task list.

Headless Chromium: browser already running, timed from navigation to the condition.
Windows (qt, gtk): timed from starting a new Python process to the condition, polled every
20 ms through pywebview from inside that process (the same polling for (a) and (b)).
Results go to BENCHMARKS.md (appended) with the date and machine.

    .venv/bin/python scripts/bench/startup.py [--runs 5] [--engines chromium,qt,gtk]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONDITIONS = {"bare": "document.title === 'done'",
              "app": "document.querySelectorAll('#list .task').length > 0"}


def make_app(workdir: Path) -> Path:
    from pyshell import scaffold

    app = scaffold.create("bench-tasks", target=workdir / "bench-tasks")
    shutil.copy(HERE / "bare_page.mjs", app / "ui" / "bare_page.mjs")
    (app / "ui" / "bare.html").write_text(
        '<!doctype html><html><head><title>bare</title>'
        '<script type="module" src="bare_page.mjs"></script></head><body>bare</body></html>')
    return app


def chromium_runs(app: Path, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from pyshell import config, runtime
    from pyshell.server import AppServer
    from pyshell.testing import CHROMIUM_ARGS, chromium_path

    out: dict[str, list[float]] = {"bare": [], "app": []}
    with sync_playwright() as pw, AppServer(config.load(app), runtime.ensure(),
                                            log=lambda s, t: None) as server:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        for _ in range(runs):
            for mode, path, selector in (("bare", "bare.html", "body[data-done]"),
                                         ("app", "", "#list .task")):
                page = browser.new_context().new_page()
                t0 = time.perf_counter()
                page.goto(server.url + path)
                page.wait_for_selector(selector, state="attached", timeout=120_000)
                out[mode].append(time.perf_counter() - t0)
                page.context.close()
        browser.close()
    return out


def window_runs(app: Path, engine: str, runs: int, display: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"bare": [], "app": []}
    env = dict(os.environ, DISPLAY=display)
    for _ in range(runs):
        for mode in ("bare", "app"):
            t0 = time.time()
            proc = subprocess.run([sys.executable, str(HERE / "window_probe.py"), str(app), engine,
                                   mode, CONDITIONS[mode]], env=env, capture_output=True,
                                  text=True, timeout=300)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("READY ")]
            if proc.returncode != 0 or not line:
                raise SystemExit(f"{engine}/{mode} failed: {proc.stderr[-2000:]}")
            out[mode].append(float(line[0].split()[1]) - t0)
    return out


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        return proc, ":" + fh.readline().strip()


def summarise(samples: list[float]) -> str:
    return (f"{statistics.median(samples):.2f} s "
            f"({min(samples):.2f}–{max(samples):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", default="chromium,qt,gtk")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        xvfb, display = start_xvfb()
        try:
            for engine in args.engines.split(","):
                print(f"bench: {engine} x{args.runs}", file=sys.stderr)
                results[engine] = (chromium_runs(app, args.runs) if engine == "chromium"
                                   else window_runs(app, engine, args.runs, display))
        finally:
            xvfb.terminate()
    rows = [f"| {engine} | {summarise(r['bare'])} | {summarise(r['app'])} | "
            f"{statistics.median(r['app']) / statistics.median(r['bare']):.2f}x |"
            for engine, r in results.items()]
    sys.path.insert(0, str(HERE))
    from report import publish

    publish(f"Start-up, {args.runs} runs, median (min–max)", [
        "| engine | (a) raw loadPyodide + 1+1 | (b) pyshell template, first Python DOM | b/a |",
        "|---|---|---|---|", *rows], write=not args.no_write)
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
