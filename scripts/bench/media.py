"""Thumbnails: 100 JPEGs (1000x750) shown as 200 px images, four ways, in Chromium.

- ``files.thumbnail``: scaled in the worker (fetch of a file URL, createImageBitmap at
  the thumbnail's size, OffscreenCanvas), each a small blob: URL; awaited one after
  another, and all at once with ``asyncio.gather``;
- ``data: URL``: the baseline, built in Python (read the file, base64) and scaled by the
  page's <img> (width=200);
- ``files.url``: the file URL itself in <img width=200>, the engine loading it.

Timed from the click to every <img> decoded (``img.decode()``), over fresh images each run
(a new size for the thumbnails, so none comes from their cache). The app runs on the real
server, the JPEGs are different pictures (ImageMagick plasma, one seed each).

    .venv/bin/python scripts/bench/media.py [--runs 5] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import publish  # noqa: E402
from startup import private_cache  # noqa: E402

COUNT = 100

APP = r'''
import asyncio, base64, json, os, time
from pyshell import dom, files

FOLDER = "/pics"

def main():
    dom.select("#out").text = "ready"

def paths():
    return [f"{FOLDER}/{name}" for name in sorted(os.listdir(FOLDER))]

def show(started, sources, width=None):
    """Fresh <img> elements for ``sources``, then the time Python took, in #out."""
    grid = dom.select("#grid")
    grid.clear()
    for source in sources:
        grid.append(dom.create("img", attrs={"src": source, "width": width}))
    dom.select("#out").text = json.dumps({"python_ms": (time.monotonic() - started) * 1000})

@dom.on("click", "#thumbs")
async def thumbs(event):
    started, size = time.monotonic(), int(event.data["size"])
    show(started, [await files.thumbnail(path, size) for path in paths()])

@dom.on("click", "#gather")
async def gather(event):
    started, size = time.monotonic(), int(event.data["size"])
    show(started, await asyncio.gather(*(files.thumbnail(path, size) for path in paths())))

def data_url(path):
    with open(path, "rb") as f:
        return "data:image/jpeg;base64," + base64.b64encode(f.read()).decode()

@dom.on("click", "#data")
def data(event):
    started = time.monotonic()
    show(started, [data_url(path) for path in paths()], "200")

@dom.on("click", "#urls")
def urls(event):
    started = time.monotonic()
    show(started, [files.url(path) for path in paths()], "200")
'''

PAGE = ('<html><head></head><body><button id=thumbs data-size=200>thumbs</button>'
        '<button id=gather data-size=200>gather</button>'
        '<button id=data>data</button><button id=urls>urls</button><pre id=out></pre>'
        '<div id=grid></div></body></html>')


def make_pictures(folder: Path) -> None:
    folder.mkdir()
    for index in range(COUNT):
        subprocess.run(["convert", "-seed", str(index + 1), "-size", "1000x750",
                        "plasma:fractal", "-quality", "85", str(folder / f"p{index:03}.jpg")],
                       check=True)


def make_app(root: Path, pictures: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "ui").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench-media"\n[tool.pyshell]\nentry = "app.main:main"\n'
        f'[[tool.pyshell.permissions.fs]]\npath = "{pictures}"\nmount = "/pics"\nmode = "ro"\n')
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(APP)
    (root / "ui" / "index.html").write_text(PAGE)
    return root


def one_run(page: object, button: str) -> tuple[float, float]:
    """(ms to every image decoded, ms Python took) for one click."""
    page.locator("#out").evaluate("el => el.textContent = ''")  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.click(f"#{button}")  # type: ignore[attr-defined]
    out = page.locator("#out")  # type: ignore[attr-defined]
    while not (text := out.inner_text()):
        time.sleep(0.005)
    count = page.locator("#grid").evaluate(  # type: ignore[attr-defined]
        "async el => { const imgs = [...el.querySelectorAll('img')];"
        " await Promise.all(imgs.map((i) => i.decode())); return imgs.length; }")
    total = (time.perf_counter() - started) * 1000
    if count != COUNT:
        raise SystemExit(f"{button}: {count} images, not {COUNT}")
    return total, json.loads(text)["python_ms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from pyshell import config
    from pyshell.testing import CHROMIUM_ARGS, app_server, chromium_path, wait_until_started

    results: dict[str, list[tuple[float, float]]] = {"thumbs": [], "gather": [], "data": [],
                                                     "urls": []}
    with tempfile.TemporaryDirectory() as tmp:
        private_cache(Path(tmp) / "cache")
        pictures = Path(tmp) / "pics"
        make_pictures(pictures)
        app = make_app(Path(tmp) / "app", pictures)
        with sync_playwright() as pw, app_server(config.load(app), {"appdata": Path(tmp) / "ad"},
                                                 log=lambda s, t: None) as server:
            browser = pw.chromium.launch(executable_path=chromium_path(),
                                         args=list(CHROMIUM_ARGS))
            page = browser.new_page()
            page.goto(server.launch_url())
            wait_until_started(page)
            for run in range(args.runs):
                # Each run asks for another size, so no thumbnail comes from the cache.
                for button in ("thumbs", "gather"):
                    size = 200 + 2 * run + (button == "gather")
                    page.locator(f"#{button}").evaluate(f"el => el.dataset.size = '{size}'")
                for button in results:
                    results[button].append(one_run(page, button))
                    print(f"bench: run {run + 1} {button}: {results[button][-1][0]:.0f} ms",
                          file=sys.stderr)
            browser.close()
    names = {"thumbs": "`await files.thumbnail(path, 200)`, one after another",
             "gather": "the same, all at once (`asyncio.gather`)",
             "data": "data: URL built in Python (baseline)",
             "urls": "`files.url(path)` in `<img width=200>`"}
    base = statistics.median(t for t, _ in results["data"])
    rows = ["| way | all 100 decoded in the page, median (min–max) | vs data: URL "
            "| Python's part, median |", "|---|---|---|---|"]
    for button, samples in results.items():
        totals = [t for t, _ in samples]
        middle = statistics.median(totals)
        python = statistics.median(p for _, p in samples)
        rows.append(f"| {names[button]} | {middle:.0f} ms ({min(totals):.0f}–{max(totals):.0f})"
                    f" | {middle / base:.2f}x | {python:.0f} ms |")
    publish(f"Thumbnails: {COUNT} JPEGs of 1000x750 shown at 200 px, Chromium, "
            f"{args.runs} runs", rows, write=not args.no_write)


if __name__ == "__main__":
    main()
