"""A private X display: the one place that starts Xvfb (tests, the demo, the benchmarks)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A new Xvfb server for as long as the block runs; yields its DISPLAY value (":N")."""
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is missing: run scripts/setup.sh (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
