"""Child process for the SQLite crash test: the app server plus headless Chromium running an
app that commits one row per transaction on a rw grant.

After each commit the app appends the row's number to ``reported.txt`` in the same grant
(a write reaches the host before it returns), so the parent knows which commits the app
had seen succeed. The parent kills this whole process group at a random moment.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pyshell import config
from pyshell.testing import app_server, chromium_path

APP_MAIN = r'''
import sqlite3

def main():
    db = sqlite3.connect("/data/rows.db")
    db.execute("pragma journal_mode=delete")
    db.execute("pragma synchronous=full")
    db.execute("create table if not exists t(id integer primary key, payload text)")
    db.execute("create index if not exists tp on t(payload)")
    db.commit()
    start = db.execute("select coalesce(max(id), 0) from t").fetchone()[0]
    with open("/data/reported.txt", "a") as report:
        for n in range(start + 1, start + 10_001):
            db.execute("insert into t(id, payload) values (?, ?)", (n, f"row {n} " * 20))
            db.commit()
            report.write(f"{n}\n")
            report.flush()
'''


def main() -> None:
    app_dir, data_dir, snapshots = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    server = app_server(config.load(app_dir), {"appdata": data_dir}, snapshot_dir=snapshots)
    server.start()
    browser = subprocess.Popen([chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", f"--user-data-dir={data_dir.parent / 'profile'}",
                                server.launch_url()],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("READY", flush=True)
    browser.wait()
    time.sleep(3600)


if __name__ == "__main__":
    main()
