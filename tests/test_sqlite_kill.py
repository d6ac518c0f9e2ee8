"""Kill the whole app (server and engine) with SIGKILL at random points while it commits
single-row SQLite transactions on a rw grant, 20 times: the database is intact every time
and every commit the app had seen succeed is in it."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kill_sqlite import APP_MAIN

from kit.apps import grant_toml, write_app

pytestmark = pytest.mark.page

KILLS = 20


def reported(data: Path) -> list[int]:
    path = data / "reported.txt"
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split("\n")[:-1]]  # a torn last line is
                                                                       # not a report


def run_until_killed(app: Path, data: Path, snapshots: Path, rng: random.Random) -> None:
    before = len(reported(data))
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("kill_sqlite.py")),
                             str(app), str(data), str(snapshots)],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + 120
        while len(reported(data)) == before and time.monotonic() < deadline:
            time.sleep(0.05)  # wait for the first commit of this run, then a random while
        time.sleep(rng.uniform(0.0, 1.5))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_commits_survive_sigkill(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", APP_MAIN, grant_toml("{appdata}", "/data", "rw"))
    data, snapshots = tmp_path / "appdata", tmp_path / "snapshots"
    rng = random.Random(20261129)
    progress = []
    for kill in range(KILLS):
        run_until_killed(app, data, snapshots, rng)
        seen = reported(data)
        with sqlite3.connect(data / "rows.db") as db:  # rolls back a torn transaction
            assert db.execute("pragma integrity_check").fetchone()[0] == "ok", f"kill {kill}"
            ids = {row[0] for row in db.execute("select id from t")}
        assert set(seen) <= ids, f"kill {kill}: reported commits missing: {set(seen) - ids}"
        progress.append(len(seen))
    assert progress[-1] > progress[0] > 0 and len(set(progress)) == KILLS, progress
