"""Images and media in the web build (no host): ``files.url`` is a ``blob:`` URL over the
file in the browser's storage, ``read_bytes`` and ``thumbnail`` read it there. Built with
``pyshell build --target web``, served by a plain static host, run in Chromium."""

from __future__ import annotations

import functools
import http.server
import inspect
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_build import _StaticHandler  # a plain static host, as in the build's own test
from test_media_page import png

from kit.apps import write_app
from kit.procs import run_cli

pytestmark = pytest.mark.page

APP = "import struct, zlib\n" + inspect.getsource(png) + r'''
import json, os
from pyshell import dom, files

async def main():
    os.makedirs("/data", exist_ok=True)
    with open("/data/pic.png", "wb") as f:
        f.write(png(60, 30))
    address = files.url("/data/pic.png")
    small = await files.thumbnail("/data/pic.png", 20)
    data = await files.read_bytes("/data/pic.png")
    body = dom.select("body")
    body.append(dom.create("img", attrs={"id": "full", "src": address}))
    body.append(dom.create("img", attrs={"id": "small", "src": small}))
    try:
        files.url("/data/missing.png")
        missing = "no error"
    except FileNotFoundError:
        missing = "FileNotFoundError"
    dom.select("#out").text = json.dumps({"url": address, "same": data == png(60, 30),
                                          "missing": missing})
'''


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    app = write_app(tmp_path / "pics", APP, '[[tool.pyshell.permissions.fs]]\n'
                    'path = "{appdata}"\nmount = "/data"\nmode = "rw"\n', name="pics")
    proc = run_cli("build", str(app), "--target", "web", timeout=600)
    assert proc.returncode == 0, proc.stderr
    [folder] = (app / "dist").glob("*-web")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_StaticHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_urls_and_thumbnails_from_browser_storage(site: str, pyshell_browser) -> None:
    context = pyshell_browser.new_context()
    try:
        page = context.new_page()
        page.goto(site)
        expect(page.locator("#out")).to_contain_text("url", timeout=120_000)
        result = json.loads(page.locator("#out").inner_text())
        assert result["url"].startswith("blob:")
        assert result["same"] is True
        assert result["missing"] == "FileNotFoundError"
        deadline = time.monotonic() + 20
        sizes: list = []
        while time.monotonic() < deadline:
            sizes = [page.locator(f"#{name}").evaluate(
                "el => el.complete ? [el.naturalWidth, el.naturalHeight] : null")
                for name in ("full", "small")]
            if all(size and size[0] for size in sizes):
                break
            time.sleep(0.05)
        assert sizes == [[60, 30], [20, 10]]
    finally:
        context.close()
