"""Dev-loop benchmark: time from saving a file to the running app having applied it.

Same run, same app (the template), 20 saves each: (a) an in-place Python reload (edit
app/main.py), (b) a CSS swap (edit ui/style.css), (c) the baseline, a full page reload with
Python re-booted (edit ui/index.html). The clock starts before the write and stops when the
page's report of the applied update reaches the server (the page sends it right after the
DOM is updated; it travels back over the loopback WebSocket, well under a millisecond).
Headless Chromium and, with --engines qt, a real Qt window under Xvfb.

    .venv/bin/python scripts/bench/reload.py [--saves 20] [--engines chromium,qt] [--no-write]
"""

from __future__ import annotations

import argparse
import functools
import os
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import pct, publish  # noqa: E402
from startup import start_xvfb  # noqa: E402

from pyshell import config, engines, scaffold  # noqa: E402
from pyshell.dev.reload import Hub, forward  # noqa: E402
from pyshell.dev.watcher import Watcher  # noqa: E402
from pyshell.testing import app_server  # noqa: E402


def edits(app: Path, n: int):
    """(kind, write) pairs: each write changes the file so that it really differs."""
    main, css, html = app / "app" / "main.py", app / "ui" / "style.css", app / "ui" / "index.html"
    main_text, css_text, html_text = main.read_text(), css.read_text(), html.read_text()
    marker = '''f"{left} task{'s' if left != 1 else ''} left"'''
    for kind, path, make in (
        ("python", main, lambda i: main_text.replace(marker, f'f"{{left}} left ({i})"')),
        ("css", css, lambda i: css_text + f"\nh1 {{ letter-spacing: {i % 3}px; }}\n"),
        ("boot", html, lambda i: html_text.replace("</footer>", f" #{i}</footer>")),
    ):
        for i in range(n):
            yield kind, functools.partial(path.write_text, make(i))


def run_saves(app_dir: Path, n: int, open_page) -> dict[str, list[float]]:
    """Serve in dev mode, let ``open_page(url)`` show it, then time each save."""
    app = config.load(app_dir)
    reports: queue.Queue[dict] = queue.Queue()
    hub = Hub()
    server = app_server(app, {"appdata": app_dir / "data"}, dev=hub,
                        on_dev_report=reports.put, log=lambda s, t: None)
    server.start()
    watcher = Watcher(app_dir, forward(app, hub))
    watcher.start()
    times: dict[str, list[float]] = {"python": [], "css": [], "boot": []}
    closer = open_page(server.launch_url())
    try:
        _wait(reports, "boot")
        for kind, write in edits(app_dir, n):
            time.sleep(0.15)  # let the previous update settle
            while not reports.empty():
                reports.get_nowait()
            t0 = time.perf_counter()
            write()
            _wait(reports, kind)
            times[kind].append((time.perf_counter() - t0) * 1000)
    finally:
        closer()
        watcher.stop()
        server.stop()
    return times


def _wait(reports: queue.Queue, kind: str) -> None:
    while True:
        report = reports.get(timeout=120)
        if report.get("kind") == kind:
            if not report.get("ok"):
                raise SystemExit(f"{kind} update failed")
            return


def chromium(app_dir: Path, n: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from pyshell.testing import CHROMIUM_ARGS, chromium_path

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))

    def open_page(url: str):
        page = browser.new_page()
        page.goto(url)
        return lambda: (browser.close(), pw.stop())

    return run_saves(app_dir, n, open_page)


def qt_window(app_dir: Path, n: int) -> dict[str, list[float]]:
    from pyshell.window import SignalStop, open_window

    xvfb, display = start_xvfb()
    os.environ["DISPLAY"] = display
    result: dict[str, list[float]] = {}
    stop = SignalStop()

    def in_window(window) -> None:
        def open_page(url: str):
            window.load_url(url)
            return lambda: None

        try:
            result.update(run_saves(app_dir, n, open_page))
        finally:
            window.destroy()

    try:
        app = config.load(app_dir)
        open_window("about:blank", app.window, engines.choose("qt"), stop, on_started=in_window)
    finally:
        xvfb.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--engines", default="chromium,qt")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            app_dir = scaffold.create("bench-dev", target=Path(tmp) / "bench-dev")
            times = chromium(app_dir, args.saves) if engine == "chromium" else qt_window(
                app_dir, args.saves)
        base = statistics.median(times["boot"])
        for kind, label in (("python", "(a) Python in place"), ("css", "(b) CSS swap"),
                            ("boot", "(c) full reload (baseline)")):
            t = times[kind]
            rows.append(f"| {engine} | {label} | {pct(t, .5):.0f} ms | {pct(t, .95):.0f} ms | "
                        f"{base / statistics.median(t):.1f}x |")
    publish(f"Dev reload, {args.saves} saves each, save -> applied",
            ["| engine | update | p50 | p95 | faster than full reload |", "|---|---|---|---|---|",
             *rows], write=not args.no_write)


if __name__ == "__main__":
    main()
