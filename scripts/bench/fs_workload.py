"""The file workload of fs.py: run natively on a folder, and in Pyodide on the same folder
through a grant. Only the standard library; the folder is prepared by ``prepare``."""

import os
import pathlib
import time

SMALL_FILES = 200
LISTDIR_ENTRIES = 1000
TREE_ENTRIES = 10_000
BIG_MB = 64


def prepare(base):
    os.makedirs(os.path.join(base, "small"), exist_ok=True)
    for i in range(SMALL_FILES):
        with open(os.path.join(base, "small", f"f{i:04d}.txt"), "wb") as f:
            f.write(os.urandom(1024))
    os.makedirs(os.path.join(base, "many"), exist_ok=True)
    for i in range(LISTDIR_ENTRIES):
        open(os.path.join(base, "many", f"e{i:05d}"), "wb").close()
    os.makedirs(os.path.join(base, "tenk"), exist_ok=True)
    for i in range(TREE_ENTRIES):
        open(os.path.join(base, "tenk", f"t{i:05d}"), "wb").close()
    with open(os.path.join(base, "big.bin"), "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(BIG_MB):
            f.write(chunk)


def _rate(fn, seconds=1.0):
    """Calls per second of fn over about ``seconds``."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn(count)
        count += 1
    return count / elapsed


def measure(base):
    small = [os.path.join(base, "small", f"f{i:04d}.txt") for i in range(SMALL_FILES)]

    def open_read(i):
        with open(small[i % SMALL_FILES], "rb") as f:
            f.read()

    results = {
        "small open+read /s": _rate(open_read),
        "stat /s": _rate(lambda i: os.stat(small[i % SMALL_FILES])),
        "listdir 1000 /s": _rate(lambda i: os.listdir(os.path.join(base, "many")), 0.5),
    }
    start = time.perf_counter()
    for entry in pathlib.Path(base, "tenk").iterdir():
        entry.stat()
    results["iterdir+stat 10k s"] = time.perf_counter() - start
    start = time.perf_counter()
    with open(os.path.join(base, "big.bin"), "rb") as f:
        while f.read(1 << 20):
            pass
    results["read MB/s"] = BIG_MB / (time.perf_counter() - start)
    chunk = b"x" * (1 << 20)
    start = time.perf_counter()
    with open(os.path.join(base, "written.bin"), "wb") as f:
        for _ in range(BIG_MB):
            f.write(chunk)
    results["write MB/s"] = BIG_MB / (time.perf_counter() - start)
    os.remove(os.path.join(base, "written.bin"))
    return results
