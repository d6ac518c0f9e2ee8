"""Soak: many opens (refused ones too), reads and held files leave no descriptor behind in
the app, no handle or descriptor in the server, and no growth of the page's renderer."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from kit.apps import grant_toml, write_app

pytestmark = pytest.mark.page

MAIN = r'''
import asyncio, json, os
SIZE = (8000, 2400, 2000)  # reads of 100 KiB, rounds of 5 refused opens, files held open

def fds():
    return len(os.listdir("/proc/self/fd"))

def work(reads, refused, held):
    for i in range(reads):
        with open("/data/big.bin", "rb") as f:
            assert len(f.read()) == 100 * 1024
    for i in range(refused):
        # missing, a FIFO, a folder, an existing file with "x", and a file seen before but
        # deleted on the host since (refused by the host after the descriptor was made)
        for path, mode in ((f"/data/missing-{i}", "r"), ("/data/pipe", "r"), ("/data", "r"),
                           ("/data/big.bin", "x"), ("/data/vanish.txt", "r")):
            try:
                open(path, mode).close()
            except OSError:
                pass
    files = [open(f"/data/held/{i}.txt", "w") for i in range(held)]
    for f in files:
        f.close()

async def main():
    open("/data/vanish.txt").close()
    work(300, 100, 100)  # warm up: caches, JIT tiers, the heap's size
    with open("/data/warm.json", "w") as out:
        json.dump({"fds": fds()}, out)
    while not os.path.exists("/data/go"):
        await asyncio.sleep(0.1)
    work(*SIZE)  # on shared memory: 20,000 opens, 12,000 of them refused
    with open("/data/done.json", "w") as out:
        json.dump({"fds": fds()}, out)
'''


def tree_rss_mb(root: int) -> int:
    """Resident memory of process ``root`` and all its descendants."""
    procs: dict[int, tuple[int, int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
        procs[int(pid)] = (ppid, rss)
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(procs[pid][1] for pid in tree if pid in procs) >> 20


def settled_rss_mb(root: int, baseline: int, seconds: float = 30) -> int:
    """The memory once the idle app's engine has collected its garbage. Chromium frees what
    synchronous XHRs leave behind only when the worker returns to its event loop: over XHR
    the renderer peaks at about +650 MB during the 40,000 requests and comes back within
    seconds. (Under Playwright it does not: its network instrumentation keeps every
    request, which is why this test starts the browser itself.)"""
    deadline = time.monotonic() + seconds
    while (now := tree_rss_mb(root)) - baseline >= 40 and time.monotonic() < deadline:
        time.sleep(1)
    return now


def wait_for(path: Path, browser: subprocess.Popen, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert browser.poll() is None, "the browser exited"
        assert time.monotonic() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.2)
    time.sleep(0.2)  # the app writes it in one call; let that call return
    return json.loads(path.read_text())


@pytest.mark.parametrize("transport", ["shared-memory", "xhr"])
def test_nothing_leaks(tmp_path: Path, transport: str) -> None:
    from pyshell.testing import chromium_path, start_server

    data = tmp_path / "data"
    (data / "held").mkdir(parents=True)
    (data / "vanish.txt").write_text("soon gone")
    (data / "big.bin").write_bytes(os.urandom(100 * 1024))
    os.mkfifo(data / "pipe")
    # Over XHR a quarter of it: synchronous XHRs cost ~3 ms each in Chromium, and the
    # descriptor bookkeeping is the same code on both transports.
    main = MAIN if transport == "shared-memory" else MAIN.replace(
        "SIZE = (8000, 2400, 2000)", "SIZE = (2000, 600, 500)")
    app = write_app(tmp_path / "app", main, grant_toml(data, "/data", "rw"))
    server = start_server(app, {"appdata": tmp_path / "appdata"})
    server.fs_fast_path = transport == "shared-memory"
    server_fds = lambda: len(os.listdir("/proc/self/fd"))  # noqa: E731
    browser = subprocess.Popen([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                                server.launch_url()],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        warm = wait_for(data / "warm.json", browser, 180)
        before = (warm["fds"], server_fds(), tree_rss_mb(browser.pid))
        (data / "vanish.txt").unlink()
        (data / "go").write_text("")
        done = wait_for(data / "done.json", browser, 600)
        after = (done["fds"], server_fds(), settled_rss_mb(browser.pid, before[2]))
    finally:
        browser.kill()
        browser.wait(timeout=30)
        server.stop()
    assert after[0] == before[0], f"app descriptors {before[0]} -> {after[0]}"
    assert after[1] <= before[1], f"server descriptors {before[1]} -> {after[1]}"
    assert server.files.open_handles() == 0
    assert after[2] - before[2] < 40, f"engine memory {before[2]} -> {after[2]} MB"
