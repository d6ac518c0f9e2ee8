"""Where one file operation's time goes on a grant (issue 13's conformance-time bar).

Three figures from one run in headless Chromium, each per operation:

- the app's Python: operations that must reach the host (mkdir+rmdir, a file created,
  closed and removed, chmod, stat of a missing name), timed in the page's worker, with the
  same loop in MEMFS as the baseline;
- the host's own work for them (``fsapi.perform``, timed in the server during that run,
  and again in this process alone, with no engine beside it on the two cores);
- the floor: a WebSocket echo from a worker of the same Chromium to a Python server on
  loopback, with no file work and no relay.

    .venv/bin/python scripts/bench/roundtrip.py [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.server
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests"))

from report import publish  # noqa: E402

N = 300
WORKLOADS = {  # label -> a loop body on ROOT (the grant, or MEMFS)
    "mkdir + rmdir": "os.mkdir(f'{root}/d'); os.rmdir(f'{root}/d')",
    "create, close, unlink": "open(f'{root}/f', 'w').close(); os.unlink(f'{root}/f')",
    "chmod": "os.chmod(f'{root}/x', 0o600 if i % 2 else 0o644)",
    "stat of a missing name": "os.path.exists(f'{root}/missing{i}')",
}
MAIN = '''
import json, os, time
from pyshell import dom

WORKLOADS = @WORKLOADS@
N = @N@

def timed(body, root):
    os.makedirs(root, exist_ok=True)
    open(f"{root}/x", "w").close()
    code = compile(f"for i in range({N}):\\n    {body}", "loop", "exec")
    start = time.perf_counter()
    exec(code, {"os": os, "root": root})
    return (time.perf_counter() - start) * 1e6 / N

def main():
    results = {label: [timed(body, "/g/w"), timed(body, "/tmp/w")]
               for label, body in WORKLOADS.items()}
    dom.select("body").attr("data-results", json.dumps(results))
'''.replace("@WORKLOADS@", repr(WORKLOADS)).replace("@N@", str(N))

ECHO_PAGE = """<html><body><script>
const worker = new Worker(URL.createObjectURL(new Blob([`
onmessage = async ({ data: url }) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  await new Promise((ready) => { ws.onopen = ready; });
  const frame = new Uint8Array(64), n = 2000;
  let i = 0;
  const start = performance.now();
  await new Promise((done) => {
    ws.onmessage = () => { if (++i < n) ws.send(frame); else done(); };
    ws.send(frame);
  });
  postMessage((performance.now() - start) * 1000 / n);
};`])));
worker.onmessage = ({ data }) => { document.body.dataset.rtt = data; };
worker.postMessage(location.hash.slice(1));
</script></body></html>"""


class HostTimes:
    """``fsapi.perform`` timed per operation name while it is installed."""

    def __init__(self) -> None:
        from pyshell import fsapi

        self.fsapi, self.original = fsapi, fsapi.perform
        self.count: collections.Counter[str] = collections.Counter()
        self.spent: collections.Counter[str] = collections.Counter()

    def __enter__(self) -> HostTimes:
        def perform(fs, name, args, body):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return self.original(fs, name, args, body)
            finally:
                self.count[name] += 1
                self.spent[name] += time.perf_counter() - start

        self.fsapi.perform = perform
        return self

    def __exit__(self, *exc: object) -> None:
        self.fsapi.perform = self.original

    def per_op_us(self) -> float:
        return sum(self.spent.values()) * 1e6 / max(1, sum(self.count.values()))


def page_run(browser, tmp: Path) -> tuple[dict[str, list[float]], float, float]:
    """Per-iteration µs (grant, MEMFS) per workload, host µs per operation, operations."""
    from kit.apps import grant_toml, write_app
    from pyshell.testing import make_folders, start_server, wait_until_started

    granted = tmp / "granted"
    granted.mkdir(parents=True)
    app = write_app(tmp / "app", MAIN, grant_toml(granted, "/g", "rw"))
    server = start_server(app, make_folders(tmp / "folders"), cold=True)
    try:
        with HostTimes() as host:
            page = browser.new_page()
            page.goto(server.launch_url())
            wait_until_started(page, timeout_ms=180_000)
            page.wait_for_selector("body[data-results]", state="attached", timeout=300_000)
            results = json.loads(page.locator("body").get_attribute("data-results") or "{}")
            page.close()
        ops = sum(host.count.values()) / (len(WORKLOADS) * N)
        return results, host.per_op_us(), ops
    finally:
        server.stop()


def host_alone(tmp: Path) -> float:
    """The same operations straight into the file service, nothing else on the machine."""
    from pyshell import fsapi
    from pyshell.capabilities import Grant
    from pyshell.fileservice import FileService

    root = tmp / "alone"
    (root / "w").mkdir(parents=True)
    fs = FileService([Grant("g1", "/g", root, True)])
    calls = [("mkdir", {"p": "w/d"}), ("rmdir", {"p": "w/d"}), ("stat", {"p": "w/missing"}),
             ("setattr", {"p": "w", "mode": 0o755})]
    start = time.perf_counter()
    for _ in range(N):
        for name, args in calls:
            fsapi.perform(fs, name, {"g": "g1", **args}, b"")
    return (time.perf_counter() - start) * 1e6 / (N * len(calls))


def echo_rtt(browser) -> float:
    """A worker's WebSocket round trip to a Python server on loopback (websockets)."""
    import websockets

    port = {}
    started = threading.Event()

    async def echo(ws) -> None:  # type: ignore[no-untyped-def]
        async for message in ws:
            await ws.send(message)

    async def serve() -> None:
        async with websockets.serve(echo, "127.0.0.1", 0) as server:
            port["ws"] = next(iter(server.sockets)).getsockname()[1]
            started.set()
            await asyncio.Future()

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    started.wait(10)

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(ECHO_PAGE.encode())

        def log_message(self, *args: object) -> None:
            pass

    http_server = http.server.HTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    samples = []
    for _ in range(3):
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{http_server.server_port}/#ws://127.0.0.1:{port['ws']}")
        page.wait_for_selector("body[data-rtt]", state="attached", timeout=60_000)
        samples.append(float(page.locator("body").get_attribute("data-rtt") or 0))
        page.close()
    http_server.shutdown()
    return sorted(samples)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from pyshell.testing import CHROMIUM_ARGS, chromium_path

    with tempfile.TemporaryDirectory(prefix="pyshell-rtt-") as name, sync_playwright() as p:
        tmp = Path(name)
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        results, host_us, ops = page_run(browser, tmp / "page")
        rtt = echo_rtt(browser)
        alone = host_alone(tmp)
        browser.close()
        shutil.rmtree(tmp, ignore_errors=True)
    rows = ["| workload (one iteration) | grant | MEMFS | grant / MEMFS |", "|---|---|---|---|"]
    rows += [f"| {label} | {grant:,.0f} µs | {memfs:,.1f} µs | {grant / memfs:,.0f}x |"
             for label, (grant, memfs) in results.items()]
    rows += ["", "| per host operation | µs |", "|---|---|",
             f"| the host's work, during the run ({ops:.1f} operations per iteration) | "
             f"{host_us:,.0f} |",
             f"| the host's work, alone on the machine | {alone:,.0f} |",
             f"| a worker's WebSocket echo to a Python server (the floor of any trip) | "
             f"{rtt:,.0f} |"]
    publish("One grant operation's time: the app's Python against MEMFS, the host's share "
            "and a bare WebSocket round trip, Chromium", rows, write=not args.no_write)


if __name__ == "__main__":
    main()
