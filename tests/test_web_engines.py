"""The web build in other engines than Chromium (tests/test_build.py covers Chromium):
Firefox (Debian's firefox-esr, headless) and WebKit (WebKitGTK under Xvfb), with a picture
shown by files.url and files.thumbnail (object URLs over the browser's storage). Neither is
driven: the page itself reports what it shows to the test's static host, so the only
browser-side code is the app's own `ui/report.js`. Each engine starts twice with the same
profile: what the app saved in {appdata} must be there the second time."""

from __future__ import annotations

import functools
import http.server
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import run_cli

HERE = Path(__file__).parent

APP = r'''
import struct, zlib
from pyshell import dom, files


def png(width, height):
    """A real red PNG, made here: the web build's files.url and thumbnail get a picture."""
    raw = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def main():
    with open("/data/cat.png", "wb") as f:
        f.write(png(40, 30))
    dom.select("#photo").attr("src", files.url("/data/cat.png"))
    dom.select("#thumb").attr("src", await files.thumbnail("/data/cat.png", 20))
    path = "/data/visits.txt"
    try:
        with open(path) as f:
            visits = int(f.read()) + 1
    except FileNotFoundError:
        visits = 1
    with open(path, "w") as f:
        f.write(str(visits))
    storage = [g.storage for g in files.grants() if g.mount == "/data"][0]
    dom.select("#out").text = f"visit {visits} in {storage}"
'''

REPORTER = '''// Test-only: once Python is ready (or failed), tell the test server what the page shows.
const root = document.documentElement;
function tell() {
  const state = root.dataset.pyshell;
  if (state !== "ready" && state !== "error") return setTimeout(tell, 100);
  const images = [...document.querySelectorAll("img")];
  if (state === "ready" && !images.every((img) => img.complete)) return setTimeout(tell, 100);
  const panel = document.getElementById("pyshell-error");
  fetch("/report", {
    method: "POST",
    body: JSON.stringify({ state, out: document.getElementById("out").textContent,
                           panel: panel ? panel.textContent : null,
                           images: images.map((img) => [img.naturalWidth, img.naturalHeight]) }),
  });
}
tell();
'''


class _Host(http.server.SimpleHTTPRequestHandler):
    """A plain static host (no COOP/COEP) that also takes the page's reports."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".wasm": "application/wasm"}
    reports: queue.Queue[dict] = queue.Queue()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.reports.put(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, queue.Queue]]:
    root = tmp_path_factory.mktemp("web-engines")
    app = write_app(root / "visits", APP, '[[tool.pyshell.permissions.fs]]\npath = "{appdata}"\n'
                    'mount = "/data"\nmode = "rw"\n', name="visits")
    index = app / "ui" / "index.html"
    index.write_text(index.read_text().replace(
        "</head>", '<script src="report.js" defer></script></head>').replace(
        "</body>", '<img id="photo" alt=""><img id="thumb" alt=""></body>'))
    (app / "ui" / "report.js").write_text(REPORTER)
    proc = run_cli("build", str(app), "--target", "web", timeout=600)
    assert proc.returncode == 0, proc.stderr
    reports: queue.Queue[dict] = queue.Queue()
    handler = type("Host", (_Host,), {"reports": reports})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(web_folder(app))))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", reports
    finally:
        server.shutdown()


def web_folder(app: Path) -> Path:
    [folder] = (app / "dist").glob("*-web")
    return folder


def visit(command: list[str], reports: queue.Queue, env: dict[str, str]) -> dict:
    """Start the engine, wait for the page's report, then end the engine as a user would."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return reports.get(timeout=180)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def firefox(url: str, profile: Path) -> list[str]:
    exe = shutil.which("firefox-esr") or shutil.which("firefox")
    if exe is None:
        pytest.fail("Firefox is missing: run scripts/setup.sh (apt-get install firefox-esr)")
    profile.mkdir(exist_ok=True)
    return [exe, "--headless", "--no-remote", "--profile", str(profile), url]


def webkit(url: str, profile: Path) -> list[str]:
    return ["/usr/bin/python3", str(HERE / "webkit_page.py"), url, str(profile)]


@pytest.mark.parametrize(("engine", "storage"), [(firefox, "browser"), (webkit, "browser")],
                         ids=["firefox", "webkit"])
def test_web_build_boots_and_keeps_appdata(site, engine, storage, tmp_path: Path,
                                           xvfb: str) -> None:
    url, reports = site
    env = dict(os.environ, DISPLAY=xvfb, MOZ_CRASHREPORTER_DISABLE="1")
    first = visit(engine(url, tmp_path / "profile"), reports, env)
    assert first == {"state": "ready", "out": f"visit 1 in {storage}", "panel": None,
                     "images": [[40, 30], [20, 15]]}, first  # files.url, files.thumbnail
    again = visit(engine(url, tmp_path / "profile"), reports, env)
    assert again["out"] == f"visit 2 in {storage}", again
