"""The gallery of issue 21: 300 JPEG and PNG files (~240 MB, up to 4000x3000) in a read-only
grant, a grid of 200 px thumbnails and a full view, per engine, four ways in one run:

- ``data``:  the baseline, what the README allowed before: each file read and base64-encoded
  in Python, set as a ``data:`` URL ``src`` one image after another;
- ``url``:   ``<img src=files.url(path) width=200>`` (lazy by default: loaded near the view);
- ``thumb``: ``@dom.on("visible", ".thumb")`` makes ``await files.thumbnail(path, 200)``
  for each cell as it comes into view (the pattern the docs show), with no thumbnail kept
  from an earlier launch;
- ``kept``:  the same app launched again right after, with the thumbnails the host kept;
- ``empty``: the same app with an empty grant: the memory baseline.

Measured in the page by ``gallery_monitor.js`` (a file of the app's ui/, so the same in every
engine), in ms after navigation: interactive (``html[data-pyshell=ready]``), first screen
of thumbnails shown (every cell in view loaded), all shown (the monitor pages down one
screen each time the cells in view have loaded, as a user paging through the grid would),
the longest gap between animation frames from interactive to all shown; then the click
on a 4000x3000 PNG's cell to the full view decoded, and browsing 100 images (the "next"
button, each waited for). Resident memory of the whole process tree after that. Chromium
is a fresh headless browser per launch (the tree: this process, Playwright's driver and
Chromium); Qt and GTK are real windows under Xvfb, one process per launch
(``gallery_window.py``). Start-up snapshots are off: every launch boots cold.

    .venv/bin/python scripts/bench/gallery.py [--runs 3] [--engines chromium,qt,gtk]

The pictures are made once (ImageMagick) in ~/.cache/pyshell-bench/gallery-300b.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # kit: the tests' helpers

PICTURES = Path.home() / ".cache" / "pyshell-bench" / "gallery-300b"
COUNT = 300
BROWSE = 100
MODES = ("empty", "url", "thumb", "kept", "data")
TIMEOUT = 150  # s a launch may take; one that runs out reports how far it got
# (width, height, format) by file number: 4 PNGs and 26 JPEGs of 4000x3000, then smaller.
SIZES = ([(4000, 3000, "png")] * 4 + [(4000, 3000, "jpg")] * 26 + [(3000, 2250, "jpg")] * 90
         + [(2000, 1500, "jpg")] * 100 + [(1600, 1200, "jpg")] * 80)

APP = r'''
import asyncio, base64, json, os
from pyshell import dom, files
from pyshell.html import fragment, h

MODE = "%(mode)s"
FOLDER = "/pics"
paths = []
shown = {"index": -1, "url": None}
made = set()


def data_url(path):
    kind = "image/png" if path.endswith(".png") else "image/jpeg"
    with open(path, "rb") as f:
        return f"data:{kind};base64," + base64.b64encode(f.read()).decode()


def main():
    paths[:] = [f"{FOLDER}/{name}" for name in sorted(os.listdir(FOLDER))
                if not name.startswith(".")]
    cells = []
    for index, path in enumerate(paths):
        attrs = {"class": "thumb", "id": f"t{index}", "data-index": index, "data-path": path,
                 "width": 200, "height": 150}
        if MODE == "url":
            attrs["src"] = files.url(path)
        cells.append(h("img", attrs))
    dom.select("#grid").html = fragment(cells)
    if MODE == "data":
        asyncio.ensure_future(send_all())


async def send_all():
    for index, path in enumerate(paths):
        dom.select(f"#t{index}").attr("src", data_url(path))
        await asyncio.sleep(0)  # each image goes to the page on its own, as it is made


@dom.on("visible", ".thumb")
async def thumb_in_view(event):
    index = int(event.data["index"])
    if MODE != "thumb" or index in made:
        return
    made.add(index)
    dom.select(f"#t{index}").attr("src", await files.thumbnail(paths[index], 200))


def show(index):
    path = paths[index %% len(paths)]
    if shown["url"] and MODE != "data":
        files.revoke_url(shown["url"])
    shown["index"], shown["url"] = index, data_url(path) if MODE == "data" else files.url(path)
    full = dom.select("#full")
    full.attr("data-index", str(index))
    full.attr("src", shown["url"])


@dom.on("click", ".thumb")
def open_cell(event):
    show(int(event.data["index"]))


@dom.on("click", "#next")
def next_picture(event):
    show(shown["index"] + 1)
'''

PAGE = ('<!doctype html><html><head><title>gallery</title>'
        '<script src="gallery_monitor.js"></script>'
        '<style>body{margin:0} #grid img{display:inline-block;object-fit:cover;margin:2px}'
        '#viewer{position:fixed;right:0;bottom:0;width:320px;height:240px;background:#000}'
        '#full{width:100%%;height:100%%;object-fit:contain}</style></head>'
        '<body><div id="viewer"><img id="full" alt=""><button id="next">next</button></div>'
        '<div id="grid"></div></body></html>')


def make_pictures(folder: Path = PICTURES) -> Path:
    """The 300 pictures (once): plasma fractals from 20 seeds, scaled, some mirrored."""
    done = folder.with_name(folder.name + ".complete")  # beside it: the app lists the folder
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    bases = folder / ".bases"
    bases.mkdir(exist_ok=True)
    for seed in range(20):
        base = bases / f"{seed}.png"
        if not base.exists():
            subprocess.run(["convert", "-seed", str(seed + 1), "-size", "800x600",
                            "plasma:fractal", str(base)], check=True)
    for index, (width, height, kind) in enumerate(SIZES):
        # Sizes interleaved in name order (7 is prime to 300): every screen of the grid
        # holds a mix, as in a real camera folder.
        out = folder / f"{index * 7 % COUNT:03}-{width}x{height}.{kind}"
        if out.exists():
            continue
        look = ["-flop"] if index % 2 else []
        look += ["-modulate", f"100,100,{60 + index * 7 % 80}"]
        quality = "80" if width == 3000 else "90"  # ~240 MB in all, as the gallery
        encode = ["-posterize", "16", "-depth", "8"] if kind == "png" else ["-quality", quality]
        subprocess.run(["convert", str(bases / f"{index % 20}.png"), "-resize",
                        f"{width}x{height}!", *look, *encode, str(out)], check=True)
        print(f"bench: picture {index + 1}/{COUNT}", file=sys.stderr, end="\r")
    shutil.rmtree(bases)
    done.write_text("")
    return folder


def make_apps(root: Path, pictures: Path) -> dict[str, Path]:
    empty = root / "no-pictures"
    empty.mkdir()
    apps = {}
    for mode in MODES:
        if mode == "kept":  # the thumb app, launched again
            continue
        app = root / f"gallery-{mode}"
        (app / "app").mkdir(parents=True)
        (app / "ui").mkdir()
        folder = empty if mode == "empty" else pictures
        (app / "pyproject.toml").write_text(
            f'[project]\nname = "gallery-{mode}"\n[tool.pyshell]\nentry = "app.main:main"\n'
            f'snapshot = false\n[tool.pyshell.window]\ntitle = "gallery"\nwidth = 1280\n'
            f'height = 800\n[[tool.pyshell.permissions.fs]]\npath = "{folder}"\n'
            f'mount = "/pics"\nmode = "ro"\n')
        (app / "app" / "__init__.py").write_text("")
        (app / "app" / "main.py").write_text(APP % {"mode": mode})
        (app / "ui" / "index.html").write_text(PAGE % {})
        shutil.copy(HERE / "gallery_monitor.js", app / "ui" / "gallery_monitor.js")
        apps[mode] = app
    return apps


def chromium_launch(app: Path) -> dict[str, float]:
    """One launch in a fresh headless Chromium: what the monitor measured, and the RSS."""
    from playwright.sync_api import sync_playwright
    from window_probe import tree_rss_kb

    from pyshell import config
    from pyshell.testing import CHROMIUM_ARGS, app_server, chromium_path

    with sync_playwright() as pw, app_server(config.load(app), log=lambda s, t: None) as server:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(server.launch_url())
        deadline = time.monotonic() + TIMEOUT
        found: dict[str, float] = {}
        while time.monotonic() < deadline and not found.get("done"):
            time.sleep(0.5)
            found = json.loads(page.evaluate("() => JSON.stringify(window.__bench || {})"))
        time.sleep(1)
        found["rss_kb"] = tree_rss_kb(os.getpid())
        browser.close()
    return dict(found)


def window_launch(app: Path, engine: str, display: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, str(HERE / "gallery_window.py"), str(app), engine,
                           str(TIMEOUT)], env=dict(os.environ, DISPLAY=display),
                          capture_output=True, text=True, timeout=TIMEOUT + 300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"{engine}/{app.name} failed: {proc.stderr[-3000:]}")
    found: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    return found


def median(runs: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def cell(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return f"> {TIMEOUT} s"
    return f"{value / 1024:.0f} MB" if unit == "MB" else f"{value:.0f} ms"


def table(results: dict[str, dict[str, list[dict[str, float]]]]) -> list[str]:
    rows = ["| engine | way | interactive | first screen (after interactive) | all shown "
            "| longest frame gap while loading | open a 4000x3000 PNG | browse 100 "
            "| RSS after browsing (x empty grid) |", "|---" * 9 + "|"]
    for engine, modes in results.items():
        empty = median(modes.get("empty", []), "rss_kb")
        for mode, runs in modes.items():
            ready, first = median(runs, "ready"), median(runs, "first")
            after = median([{"d": r["first"] - r["ready"]} for r in runs
                            if r.get("first") is not None], "d")
            rss = median(runs, "rss_kb")
            if mode == "empty":
                rows.append(f"| {engine} | empty grid | {cell(ready)} | | | | | "
                            f"| {cell(rss, 'MB')} (1.00x) |")
                continue
            if any(not r.get("done") for r in runs):  # ran out of time: how far it got
                loaded = ", ".join(str(r.get("loaded", 0)) for r in runs)
                mode += f" (ran out of time; thumbnails shown by then: {loaded} of {COUNT})"
            ratio = f" ({rss / empty:.2f}x)" if rss and empty else ""
            rows.append(f"| {engine} | {mode} | {cell(ready)} | {cell(first)} (+{cell(after)}) "
                        f"| {cell(median(runs, 'all'))} | {cell(median(runs, 'max_gap'))} "
                        f"| {cell(median(runs, 'open'))} | {cell(median(runs, 'browsed'))} "
                        f"| {cell(rss, 'MB')}{ratio} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="chromium,qt,gtk")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--pictures", type=Path, help="a folder of pictures of your own "
                        "(one named *-4000x3000.png) instead of the generated 300")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from report import publish
    from startup import private_cache

    from kit import display

    pictures = args.pictures or make_pictures()
    files = [p for p in pictures.iterdir() if not p.name.startswith(".")]
    total = sum(p.stat().st_size for p in files)
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp, display.xvfb() as screen:
        private_cache(Path(tmp) / "cache")
        apps = make_apps(Path(tmp), pictures)
        for engine in args.engines.split(","):
            results[engine] = {mode: [] for mode in args.modes.split(",")}
            for run in range(args.runs):
                for mode in results[engine]:  # interleaved: load drifts hit every way alike
                    app = apps["thumb" if mode == "kept" else mode]
                    if mode == "thumb":  # none kept: each made in the page
                        shutil.rmtree(Path(tmp) / "cache" / "thumbnails", ignore_errors=True)
                    found = (chromium_launch(app) if engine == "chromium"
                             else window_launch(app, engine, screen))
                    results[engine][mode].append(found)
                    print(f"bench: {engine} {mode} run {run + 1}: {json.dumps(found)}",
                          file=sys.stderr)
    print(json.dumps(results), file=sys.stderr)
    publish(f"Gallery: {len(files)} pictures ({total / 1e6:.0f} MB, JPEG and PNG up to 4000x3000), "
            f"200 px grid, {args.runs} launches each, median, ms after navigation",
            table(results), write=not args.no_write)


if __name__ == "__main__":
    main()
