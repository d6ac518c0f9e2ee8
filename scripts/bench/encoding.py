"""Should the app server send the runtime pre-compressed? Measured, not assumed.

In headless Chromium, over loopback as in an app, each runtime file is fetched (the wasm
with ``WebAssembly.compileStreaming``, as pyshell's worker does) once sent as is and once
pre-compressed with ``Content-Encoding: gzip`` (level 9, compressed ahead, so the server
spends nothing). Medians of ``--runs`` fresh pages; results go to BENCHMARKS.md.

    .venv/bin/python scripts/bench/encoding.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from report import publish  # noqa: E402

FILES = ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide.asm.mjs")
PAGE = b"<!doctype html><title>encoding</title><p>encoding"
TIME_JS = """async ([url, wasm]) => {
  const t0 = performance.now();
  const response = fetch(url, { cache: "no-store" });
  if (wasm) await WebAssembly.compileStreaming(response);
  else await (await response).arrayBuffer();
  return performance.now() - t0;
}"""


def serve(bodies: dict[str, tuple[bytes, str | None]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body, encoding = bodies.get(self.path, (PAGE, None))
            self.send_response(200)
            kind = "application/wasm" if self.path.endswith(".wasm") else "text/html"
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            if encoding:
                self.send_header("content-encoding", encoding)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from pyshell import runtime
    from pyshell.testing import CHROMIUM_ARGS, chromium_path

    folder = runtime.ensure().path
    bodies: dict[str, tuple[bytes, str | None]] = {}
    for name in FILES:
        raw = (folder / name).read_bytes()
        bodies[f"/raw/{name}"] = (raw, None)
        bodies[f"/gzip/{name}"] = (gzip.compress(raw, 9, mtime=0), "gzip")
    server = serve(bodies)
    base = f"http://127.0.0.1:{server.server_port}"
    times: dict[str, list[float]] = {key: [] for key in bodies}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        for _ in range(args.runs):
            for key in bodies:
                page = browser.new_context().new_page()
                page.goto(base + "/")
                times[key].append(page.evaluate(TIME_JS, [base + key, key.endswith(".wasm")]))
                page.context.close()
        browser.close()
    server.shutdown()
    rows = []
    for name in FILES:
        raw, packed = times[f"/raw/{name}"], times[f"/gzip/{name}"]
        rows.append(f"| {name} | {len(bodies[f'/raw/{name}'][0]) / 1e6:.2f} MB | "
                    f"{len(bodies[f'/gzip/{name}'][0]) / 1e6:.2f} MB | "
                    f"{statistics.median(raw):.0f} ms | {statistics.median(packed):.0f} ms |")
    publish("Runtime files over loopback, as is vs gzip (fetch + compileStreaming for the "
            f"wasm, fetch for the rest), {args.runs} fresh pages, median", [
                "| file | size | gzip -9 | as is | gzip |", "|---|---|---|---|---|", *rows],
            write=not args.no_write)


if __name__ == "__main__":
    main()
