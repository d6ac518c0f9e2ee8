"""A second window against the first: time to the app's own content, and memory.

Per engine (Qt and GTK windows under Xvfb), ``--runs`` launches of a small app whose
``main()`` writes "ready" into its window and whose button opens a second window
(``pyshell.windows.open``) that Python then writes into. Measured in each launch:

- first window: process start -> the text main() wrote is in the page (Pyodide boots,
  restored from its start-up snapshot after the first launch, which is not counted);
- second window: the click -> the text Python wrote into the second page is there (a new
  native window and web view, its page loaded, the relay connected; no interpreter);
- resident memory of the whole process tree with one window up, and with two (1 s after
  each is ready).

    .venv/bin/python scripts/bench/windows.py [--runs 5] [--engines qt,gtk] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # kit: the tests' helpers
sys.path.insert(0, str(HERE))

from report import publish  # noqa: E402
from startup import private_cache  # noqa: E402

from kit import display  # noqa: E402

APP = '''
from pyshell import dom, windows


def main():
    dom.select("#out").text = "ready"


@dom.on("click", "#open")
async def open_second(event):
    second = await windows.open("second.html", title="Second", width=600, height=400)
    second.select("#shown").text = "written by Python"
'''
UI = ('<!doctype html><html><head><title>first</title></head><body><h1>First</h1>'
      '<button id="open">open</button><p id="out">Starting…</p></body></html>')
SECOND = ('<!doctype html><html><head><title>second</title></head><body><h1>Second</h1>'
          '<p id="shown"></p></body></html>')


def make_app(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "ui").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench-windows"\nversion = "0.1.0"\n'
        '[tool.pyshell]\nentry = "app.main:main"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(APP)
    (root / "ui" / "index.html").write_text(UI)
    (root / "ui" / "second.html").write_text(SECOND)
    return root


def probe(app_dir: str, engine: str) -> None:
    """One launch, in this process: prints ``RESULT {json}``."""
    t0 = time.monotonic()
    import webview
    from window_probe import tree_rss_kb

    from kit.waits import poll
    from pyshell import launcher

    def text(window: object, selector: str) -> str:
        return str(window.run_js(  # type: ignore[attr-defined]
            f"document.querySelector('{selector}')?.textContent ?? ''"))

    def drive(main: object) -> None:
        found: dict[str, float] = {}
        try:
            poll(lambda: text(main, "#out") == "ready", 120, 0.01)
            found["first_s"] = time.monotonic() - t0
            time.sleep(1)
            found["rss_one_kb"] = tree_rss_kb(os.getpid())
            clicked = time.monotonic()
            main.run_js("document.querySelector('#open').click(), 1")  # type: ignore[attr-defined]
            poll(lambda: len(webview.windows) == 2, 60, 0.005)
            poll(lambda: text(webview.windows[1], "#shown") == "written by Python", 60, 0.005)
            found["second_s"] = time.monotonic() - clicked
            time.sleep(1)
            found["rss_two_kb"] = tree_rss_kb(os.getpid())
        finally:
            print("RESULT " + json.dumps(found), flush=True)
            main.destroy()  # type: ignore[attr-defined]

    launcher.run(app_dir, gui=engine, on_started=drive)


def runs(app_dir: Path, engine: str, count: int, env: dict[str, str]) -> list[dict[str, float]]:
    found = []
    for i in range(count + 1):  # the first makes the start-up snapshot
        proc = subprocess.run([sys.executable, __file__, "--probe", str(app_dir), engine],
                              env=env, capture_output=True, text=True, timeout=300)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"bench: {engine} launch failed:\n{proc.stderr[-2000:]}")
        if i:
            found.append(json.loads(line.removeprefix("RESULT ")))
        print(f"bench: {engine} {line}", file=sys.stderr)
    return found


def med(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def spread(samples: list[dict[str, float]], key: str, scale: float = 1.0) -> str:
    values = [s[key] * scale for s in samples]
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def main() -> None:
    if sys.argv[1:2] == ["--probe"]:
        probe(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", default="qt,gtk")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = ["| engine | first window: launch → app content, ms | second window: click → "
            "content, ms | ratio | RSS one window, MB | RSS two windows, MB | second "
            "window costs, MB |", "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp, display.xvfb() as name:
        app_dir = make_app(Path(tmp) / "app")
        private_cache(Path(tmp) / "cache")  # snapshots start empty
        env = dict(os.environ, DISPLAY=name, XDG_DATA_HOME=str(Path(tmp) / "data"),
                   XDG_STATE_HOME=str(Path(tmp) / "state"))
        for engine in args.engines.split(","):
            found = runs(app_dir, engine, args.runs, env)
            ratio = med(found, "second_s") / med(found, "first_s")
            extra = [(s["rss_two_kb"] - s["rss_one_kb"]) / 1024 for s in found]
            rows.append(f"| {engine} | {spread(found, 'first_s', 1000)} | "
                        f"{spread(found, 'second_s', 1000)} | {ratio:.2f}x | "
                        f"{spread(found, 'rss_one_kb', 1 / 1024)} | "
                        f"{spread(found, 'rss_two_kb', 1 / 1024)} | "
                        f"{statistics.median(extra):.0f} ({min(extra):.0f}–{max(extra):.0f}) |")
    publish(f"A second window against the first ({args.runs} launches per engine, medians)",
            rows, write=not args.no_write)


if __name__ == "__main__":
    main()
