"""Start-up benchmark: raw Pyodide boot vs. `pyshell run` of the template, same run, same engine.

(a) baseline: a bare page that only does loadPyodide + runPython("1+1"), served by the same
    app server from the same runtime files.
(b) pyshell: the template app, until Python has rendered its task list.
(c) the same app with three locked pure-Python dependencies (attrs, python-dateutil,
    markdown, and what they pull in), imported by its entry module: the packages' load cost.

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


DEPENDENCIES = ["attrs", "python-dateutil", "markdown"]


def make_apps(workdir: Path) -> dict[str, Path]:
    """The template (with the bare page beside it) and a copy that uses locked packages."""
    from pyshell import config, runtime, scaffold
    from pyshell.deps.service import lock

    app = scaffold.create("bench-tasks", target=workdir / "bench-tasks")
    shutil.copy(HERE / "bare_page.mjs", app / "ui" / "bare_page.mjs")
    (app / "ui" / "bare.html").write_text(
        '<!doctype html><html><head><title>bare</title>'
        '<script type="module" src="bare_page.mjs"></script></head><body>bare</body></html>')
    deps = workdir / "bench-deps"
    shutil.copytree(app, deps)
    toml = (deps / "pyproject.toml").read_text()
    (deps / "pyproject.toml").write_text(toml.replace(
        "dependencies = []", f"dependencies = {json.dumps(DEPENDENCIES)}", 1))
    main = deps / "app" / "main.py"
    main.write_text(main.read_text() + "\nimport attrs, dateutil.parser, markdown  # noqa\n")
    lock(config.load(deps), runtime.ensure())
    return {"bare": app, "app": app, "deps": deps}


def chromium_runs(apps: dict[str, Path], runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from pyshell import config, runtime
    from pyshell.server import AppServer
    from pyshell.testing import CHROMIUM_ARGS, chromium_path

    out: dict[str, list[float]] = {mode: [] for mode in apps}
    servers = {mode: AppServer(config.load(app), runtime.ensure(), log=lambda s, t: None)
               for mode, app in apps.items()}
    for server in servers.values():
        server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(),
                                         args=list(CHROMIUM_ARGS))
            for _ in range(runs):
                for mode, server in servers.items():
                    path, selector = (("bare.html", "body[data-done]") if mode == "bare"
                                      else ("", "#list .task"))
                    page = browser.new_context().new_page()
                    t0 = time.perf_counter()
                    page.goto(server.url + path)
                    page.wait_for_selector(selector, state="attached", timeout=120_000)
                    out[mode].append(time.perf_counter() - t0)
                    page.context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return out


def window_runs(apps: dict[str, Path], engine: str, runs: int, display: str
                ) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {mode: [] for mode in apps}
    env = dict(os.environ, DISPLAY=display)
    for _ in range(runs):
        for mode, app in apps.items():
            kind = "bare" if mode == "bare" else "app"
            t0 = time.time()
            proc = subprocess.run([sys.executable, str(HERE / "window_probe.py"), str(app), engine,
                                   kind, CONDITIONS[kind]], env=env, capture_output=True,
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
        apps = make_apps(Path(tmp))
        xvfb, display = start_xvfb()
        try:
            for engine in args.engines.split(","):
                print(f"bench: {engine} x{args.runs}", file=sys.stderr)
                results[engine] = (chromium_runs(apps, args.runs) if engine == "chromium"
                                   else window_runs(apps, engine, args.runs, display))
        finally:
            xvfb.terminate()
    rows = [f"| {engine} | {summarise(r['bare'])} | {summarise(r['app'])} | "
            f"{statistics.median(r['app']) / statistics.median(r['bare']):.2f}x | "
            f"{summarise(r['deps'])} | "
            f"+{statistics.median(r['deps']) - statistics.median(r['app']):.2f} s |"
            for engine, r in results.items()]
    sys.path.insert(0, str(HERE))
    from report import publish

    publish(f"Start-up, {args.runs} runs, median (min–max)", [
        "| engine | (a) raw loadPyodide + 1+1 | (b) pyshell template, first Python DOM | b/a "
        "| (c) template + attrs, python-dateutil, markdown | c-b |",
        "|---|---|---|---|---|---|", *rows], write=not args.no_write)
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
