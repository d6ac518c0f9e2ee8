"""Record locks and open files of the app's Python are the host's.

SQLite guards a database with fcntl locks; in Pyodide those are no-ops, so a second
program (here: native sqlite3 on the host) could write in the middle of the app's
transaction. The app's locks reach the host file, and a page that goes away (reload)
takes its open files, and so its locks, with it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import app_with_buttons, grant_toml, write_app
from kit.waits import wait_until

pytestmark = pytest.mark.page

APP = r'''
import fcntl, json, os, sqlite3
from pyshell import dom

held = []

def main():
    dom.select("#out").text = "ready"

@dom.on("click", "#begin")
def begin(event):
    db = sqlite3.connect("/data/shared.db", isolation_level=None)
    db.execute("create table if not exists t(v)")
    db.execute("begin exclusive")
    db.execute("insert into t values ('app')")
    held.append(db)
    dom.select("#out").text = "in transaction"

@dom.on("click", "#commit")
def commit(event):
    held.pop().execute("commit")
    dom.select("#out").text = "committed"

@dom.on("click", "#hold")
def hold(event):
    for i in range(30):
        f = open(f"/data/held{i}.txt", "w")
        f.write("x")
        held.append(f)
    fd = os.open("/data/range.bin", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
    held.append(fd)
    dom.select("#out").text = "holding"

@dom.on("click", "#probe")
def probe(event):
    """Ask for a lock another process holds: refused, as natively."""
    fd = os.open("/data/theirs.bin", os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = "granted"
    except OSError as exc:
        result = type(exc).__name__
    finally:
        os.close(fd)
    dom.select("#out").text = result
'''


@pytest.fixture
def app(tmp_path: Path, pyshell_browser):
    data = tmp_path / "data"
    data.mkdir()
    app = write_app(tmp_path / "app", APP, grant_toml(data, "/data", "rw"))
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata",
                          ["begin", "commit", "hold", "probe"]) as (page, server):
        yield page, server, data


def click(page, button: str, says: str) -> None:
    page.click(button)
    expect(page.locator("#out")).to_have_text(says, timeout=30_000)


NATIVE_INSERT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0)
try:
    db.execute("insert into t values ('native')"); db.commit(); print("inserted")
except sqlite3.OperationalError as exc:
    print(exc)
"""

LOCK_RANGE = """
import fcntl, sys
with open(sys.argv[1], "r+b") as f:
    try:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0); print("granted")
    except OSError as exc:
        print(type(exc).__name__)
"""


def run_native(code: str, path: Path) -> str:
    """In another process: POSIX locks are per process, and this one runs the app server."""
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60, check=True).stdout.strip()


def test_a_native_writer_waits_for_the_apps_transaction(app) -> None:
    page, _, data = app
    click(page, "#begin", "in transaction")
    assert run_native(NATIVE_INSERT, data / "shared.db") == "database is locked"
    click(page, "#commit", "committed")
    assert run_native(NATIVE_INSERT, data / "shared.db") == "inserted"
    rows = run_native("import sqlite3,sys; print(sqlite3.connect(sys.argv[1])"
                      ".execute('select group_concat(v) from t').fetchone()[0])",
                      data / "shared.db")
    assert rows == "app,native"


def test_a_lock_held_on_the_host_is_refused_to_the_app(app) -> None:
    page, _, data = app
    (data / "theirs.bin").write_bytes(b"x" * 100)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,sys,time\n"
         f"f=open({str(data / 'theirs.bin')!r},'r+b'); fcntl.lockf(f, fcntl.LOCK_EX)\n"
         "print('locked', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        click(page, "#probe", "BlockingIOError")
    finally:
        holder.kill()
        holder.wait()


def test_a_reloaded_page_leaves_no_open_files_or_locks(app) -> None:
    page, server, data = app
    before = server.files.open_handles()
    click(page, "#hold", "holding")
    assert server.files.open_handles() == before + 31
    assert run_native(LOCK_RANGE, data / "range.bin") == "BlockingIOError"
    page.reload()
    expect(page.locator("#out")).to_have_text("ready", timeout=60_000)
    # The old page's socket closes as its worker ends.
    wait_until(lambda: server.files.open_handles() == before, 10, "the old page's handles closed")
    assert run_native(LOCK_RANGE, data / "range.bin") == "granted"


@pytest.mark.parametrize("change", [{"size": 3}, {"mode": 0o600}, {"mtime": [1_000_000_000, 0]}],
                         ids=["truncate", "chmod", "utime"])
def test_a_change_by_path_keeps_the_apps_locks(tmp_path: Path, change: dict) -> None:
    """Closing any descriptor of a file drops this process's record locks on it, so a
    change by path (os.truncate, os.chmod on a name while the app holds a lock through an
    open file, as SQLite does) must not open and close one of its own."""
    from pyshell.capabilities import Grant
    from pyshell.fileservice import FileService

    (tmp_path / "db").write_bytes(b"0123456789")
    service = FileService([Grant("g0", "/data", tmp_path, True)])
    handle = service.open("g0", "db", read=True, write=True)["handle"]
    try:
        service.lock(handle, "set", 1, 0, 10)
        assert run_native(LOCK_RANGE, tmp_path / "db") == "BlockingIOError"
        service.setattr("g0", "db", **change)
        assert run_native(LOCK_RANGE, tmp_path / "db") == "BlockingIOError"
    finally:
        service.close(handle)
    assert run_native(LOCK_RANGE, tmp_path / "db") == "granted"
