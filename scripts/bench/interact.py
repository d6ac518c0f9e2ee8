"""Responsiveness: click -> Python handler -> DOM updated, p50/p95 over N clicks per engine.

The template app; each click toggles a task's checkbox, whose handler in Python changes the
task and re-renders the list. Timed in the page from ``click()`` to the first DOM mutation
of the list (pyshell applies DOM writes at the next animation frame). Headless Chromium
through Playwright; Qt and GTK windows under Xvfb through window_probe.py.

    .venv/bin/python scripts/bench/interact.py [--clicks 200] [--engines chromium,qt,gtk]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import pct, publish  # noqa: E402
from startup import APP_READY, SNAPSHOT_STORED, private_cache, start_xvfb  # noqa: E402
from window_probe import CLICK_LOOP  # noqa: E402


def chromium_clicks(app: Path, clicks: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from pyshell import config
    from pyshell.testing import CHROMIUM_ARGS, app_server, chromium_path

    with sync_playwright() as pw, app_server(config.load(app),
                                             log=lambda s, t: None) as server:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        page = browser.new_page()
        page.goto(server.launch_url())
        for condition in (APP_READY, SNAPSHOT_STORED):  # steady state: no upload running
            while not page.evaluate(f"() => {condition}"):
                time.sleep(0.05)
        page.evaluate(f"() => {{ {CLICK_LOOP % clicks} }}")
        while (result := page.evaluate("() => window.__clicks")) is None:
            time.sleep(0.2)
        browser.close()
    return json.loads(result)


def window_clicks(app: Path, engine: str, clicks: int, display: str) -> list[float]:
    proc = subprocess.run([sys.executable, str(HERE / "window_probe.py"), str(app), engine, "",
                           APP_READY, "--clicks", str(clicks)],
                          env=dict(os.environ, DISPLAY=display), capture_output=True, text=True,
                          timeout=900)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("CLICKS ")]
    if not line:
        raise SystemExit(f"{engine} failed: {proc.stderr[-2000:]}")
    value = json.loads(line[0].split(" ", 1)[1])  # pywebview may hand back the JSON text
    return json.loads(value) if isinstance(value, str) else value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--engines", default="chromium,qt,gtk")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from pyshell import scaffold

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        private_cache(Path(tmp) / "cache")
        app = scaffold.create("bench-click", target=Path(tmp) / "bench-click")
        xvfb, display = start_xvfb()
        try:
            for engine in args.engines.split(","):
                print(f"bench: {engine} x{args.clicks} clicks", file=sys.stderr)
                times = (chromium_clicks(app, args.clicks) if engine == "chromium"
                         else window_clicks(app, engine, args.clicks, display))
                rows.append(f"| {engine} | {len(times)} | {pct(times, 0.5):.1f} ms | "
                            f"{pct(times, 0.95):.1f} ms | {max(times):.1f} ms |")
        finally:
            xvfb.close()
    publish("Click -> Python handler -> DOM updated", [
        "| engine | clicks | p50 | p95 | max |", "|---|---|---|---|---|", *rows],
        write=not args.no_write)


if __name__ == "__main__":
    main()
