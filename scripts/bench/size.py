"""Installer sizes for the template app, beside the Pyodide core files alone (the floor).

Builds the template with `pyshell build` (deb, tarball, web) in a temporary folder and
reports, in the same run: each artifact's size, the web build's total and gzip-transferred
size, and the Pyodide files every app ships, raw and compressed (gzip -9 and xz -6, the
compressors of the web transfer and of dpkg-deb).

    .venv/bin/python scripts/bench/size.py [--no-write]
"""

from __future__ import annotations

import argparse
import gzip
import io
import lzma
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from pyshell import runtime, scaffold
    from pyshell.build.service import build
    from pyshell.build.stage import RUNTIME_SHIPPED

    rt = runtime.ensure()
    core = [rt.file(name).read_bytes() for name in RUNTIME_SHIPPED]
    raw = sum(map(len, core))
    gz = sum(len(gzip.compress(b, 9)) for b in core)
    xz = sum(len(lzma.compress(b, preset=6)) for b in core)
    with tempfile.TemporaryDirectory() as tmp:
        app = scaffold.create("size-tasks", target=Path(tmp) / "size-tasks")
        artifacts = build(app, ["deb", "tarball", "web"], out=io.StringIO())
    rows = ["| artifact | size | note |", "|---|---|---|"]
    for art in artifacts:
        note = ", ".join(f"{k} {mb(v)}" for k, v in art.extra.items()) or ""
        rows.append(f"| {art.target} ({Path(art.path).name}) | {mb(art.bytes)} | {note} |")
    rows.append(f"| floor: Pyodide core files ({len(core)}) | {mb(raw)} raw | gzip -9 {mb(gz)}, "
                f"xz -6 {mb(xz)} |")
    sys.path.insert(0, str(HERE))
    from report import publish

    publish("Installer sizes, template app", rows, write=not args.no_write)


def mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


if __name__ == "__main__":
    main()
