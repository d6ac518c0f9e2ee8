"""Grant files behave as a local disk for ordinary code, and nothing written is ever lost.

Each probe runs in the app's real Pyodide (Chromium, both file transports); the host side
then looks at the real files, some while the page is still open.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kit.apps import grant_toml, open_app, write_app
from kit.waits import wait_until

pytestmark = pytest.mark.page

PROBE = r'''
import errno, json, os, sqlite3, stat, tempfile
from pyshell import dom

D = "/data"

def err(fn):
    try:
        fn()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def main():
    import time
    r = {}
    t0 = time.time()
    # SQLite as apps use it: commit, keep the connection open.
    db = sqlite3.connect(f"{D}/app.db")
    db.execute("pragma journal_mode=delete")
    db.execute("pragma synchronous=full")
    db.execute("create table t(id integer primary key, v text)")
    db.execute("create index tv on t(v)")
    db.executemany("insert into t(v) values (?)", [(f"row{i:05d}",) for i in range(3000)])
    db.commit()
    db.execute("update t set v = v || '-x' where id % 500 = 0")
    db.execute("insert into t(v) values ('last')")
    db.commit()
    # A second connection sees the first one's committed table (fstat is fresh).
    other = sqlite3.connect(f"{D}/app.db")
    r["second_sees"] = other.execute("select count(*) from t").fetchone()[0]
    db2 = sqlite3.connect(f"{D}/fresh.db")
    reader = sqlite3.connect(f"{D}/fresh.db")
    reader.execute("pragma user_version").fetchone()
    db2.execute("create table late(x)")
    db2.commit()
    r["late_table_seen"] = reader.execute(
        "select count(*) from sqlite_master where name='late'").fetchone()[0]

    r["t_sqlite"] = time.time() - t0
    # A file exists on the host once open() returns; while open it can be unlinked.
    f = open(f"{D}/created.txt", "w")
    r["created_listed"] = "created.txt" in os.listdir(D)
    r["second_open"] = err(lambda: os.close(os.open(f"{D}/created.txt", os.O_RDONLY)))
    f.write("written")
    f.close()
    with tempfile.TemporaryFile(dir=D) as t:
        t.write(b"spooled" * 1000)
        t.seek(0)
        r["tempfile"] = len(t.read())
    r["tempfile_left"] = sorted(n for n in os.listdir(D) if n.startswith("tmp"))
    g = open(f"{D}/doomed.txt", "w+")
    os.unlink(f"{D}/doomed.txt")
    g.write("still works")
    g.seek(0)
    r["unlinked_read"] = g.read()
    g.close()
    h = open(f"{D}/moving.txt", "w")
    os.rename(f"{D}/moving.txt", f"{D}/moved.txt")
    h.write("after rename")
    h.close()

    # dup: closing one descriptor leaves the other working.
    fd = os.open(f"{D}/dup.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    fd2 = os.dup(fd)
    os.close(fd)
    r["dup_write"] = os.write(fd2, b"via dup")
    os.close(fd2)

    # Two descriptors of one file see each other's writes at once.
    w = open(f"{D}/shared.txt", "w")
    rd = open(f"{D}/shared.txt", "r")
    w.write("hello")
    w.flush()
    r["reader_sees"] = rd.read()
    r["fstat_size"] = os.fstat(rd.fileno()).st_size
    w.close(); rd.close()

    # Modes: creation modes under the umask, chmod on open files, no setuid.
    fd, path = tempfile.mkstemp(dir=D)
    os.close(fd)
    r["mkstemp_mode"] = oct(stat.S_IMODE(os.stat(path).st_mode))
    os.close(os.open(f"{D}/secret.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    r["secret_mode"] = oct(stat.S_IMODE(os.stat(f"{D}/secret.key").st_mode))
    with open(f"{D}/chmod-open.txt", "w") as c:
        os.fchmod(c.fileno(), 0o640)
        os.chmod(f"{D}/chmod-open.txt", 0o600)
        c.write("x")
    r["chmod_open"] = oct(stat.S_IMODE(os.stat(f"{D}/chmod-open.txt").st_mode))
    os.chmod(f"{D}/created.txt", 0o4755)
    r["setuid"] = oct(os.stat(f"{D}/created.txt").st_mode)
    r["root_chmod"] = err(lambda: os.chmod(D, 0o777))
    r["root_utime"] = err(lambda: os.utime(D, (0, 0)))

    # Times exact to the microsecond, the precision this Python sets them with (it has no
    # utimensat), both ways; (0, 0) is a time like any other.
    os.utime(f"{D}/created.txt", ns=(1_002_003_000, 4_005_006_000))
    st = os.stat(f"{D}/created.txt")
    r["utime_ns"] = [st.st_atime_ns, st.st_mtime_ns]
    r["host_ns"] = os.stat(f"{D}/special/plain.txt").st_mtime_ns
    os.utime(f"{D}/dup.txt", (0, 0))
    r["utime_zero"] = os.stat(f"{D}/dup.txt").st_mtime_ns
    with open(f"{D}/moved.txt", "a") as m:
        os.utime(m.fileno(), ns=(5_000, 6_000))
    r["futime"] = os.stat(f"{D}/moved.txt").st_mtime_ns

    # Inode numbers agree between stat, fstat and listings.
    entry = next(e for e in os.scandir(D) if e.name == "shared.txt")
    with open(f"{D}/shared.txt") as s:
        r["ino_same"] = entry.inode() == os.stat(f"{D}/shared.txt").st_ino == os.fstat(s.fileno()).st_ino

    # Special files: listed folder still works, opening never blocks.
    r["fifo_listing"] = sorted(n for n in os.listdir(f"{D}/special"))
    r["fifo_open"] = err(lambda: open(f"{D}/special/pipe").read())

    r["t_middle"] = time.time() - t0
    # Refused opens leak no descriptor: far more than the fd table holds.
    for i in range(2100):  # together more than the 4,096 descriptors Pyodide has
        err(lambda: open(f"{D}/special/pipe"))
        err(lambda: open(f"{D}/missing-{i}.txt"))
    r["after_refusals"] = open(f"{D}/shared.txt").read()

    r["t_end"] = time.time() - t0
    r["fsync"] = err(lambda: (os.fsync(os.open(D, os.O_RDONLY)), None))
    dom.select("#out").text = json.dumps(r)
    globals()["keep_open"] = (db, other, db2, reader)
'''


@pytest.fixture(scope="module", params=["shared-memory", "xhr"])
def probed(request, tmp_path_factory, pyshell_browser):
    """The probe's findings, with the page still open while the test looks at the host."""
    from playwright.sync_api import expect

    tmp_path = tmp_path_factory.mktemp("posix")
    data = tmp_path / "data"
    (data / "special").mkdir(parents=True)
    os.mkfifo(data / "special" / "pipe")
    (data / "special" / "plain.txt").write_text("plain")
    os.utime(data / "special" / "plain.txt", ns=(1, 1_234_567_891_234_567_891))
    app = write_app(tmp_path / "app", PROBE, grant_toml(data, "/data", "rw"))
    old_umask = os.umask(0o022)
    try:
        with open_app(pyshell_browser, app, {"appdata": tmp_path / "appdata"},
                      fast_path=request.param == "shared-memory", timeout_ms=300_000) as opened:
            out = opened.page.locator("#out")
            expect(out).not_to_be_empty(timeout=300_000)
            yield json.loads(out.inner_text()), data, opened.page.context
    finally:
        os.umask(old_umask)


def test_connections_and_descriptors_see_each_other(probed) -> None:
    found, data, _ = probed
    assert found["second_sees"] == 3001
    assert found["late_table_seen"] == 1
    assert found["reader_sees"] == "hello" and found["fstat_size"] == 5
    assert found["dup_write"] == 7 and (data / "dup.txt").read_bytes() == b"via dup"


def test_files_exist_from_open_and_survive_unlink_and_rename(probed) -> None:
    found, data, _ = probed
    assert found["created_listed"] is True and found["second_open"] == "ok"
    assert (data / "created.txt").read_text() == "written"
    assert found["tempfile"] == 7000 and found["tempfile_left"] == []
    assert found["unlinked_read"] == "still works" and not (data / "doomed.txt").exists()
    assert (data / "moved.txt").read_text() == "after rename"


def test_modes_are_honoured_and_bounded(probed) -> None:
    found, data, _ = probed
    assert found["mkstemp_mode"] == "0o600"
    assert found["secret_mode"] == "0o600"
    assert stat.S_IMODE((data / "secret.key").stat().st_mode) == 0o600
    assert found["chmod_open"] == "0o600"
    assert stat.S_IMODE((data / "created.txt").stat().st_mode) == 0o755  # no setuid bit
    assert found["setuid"] == oct(stat.S_IFREG | 0o755)
    assert found["root_chmod"] == "EPERM" and found["root_utime"] == "EPERM"
    assert stat.S_IMODE(data.stat().st_mode) != 0o777


def test_times_are_exact(probed) -> None:
    found, data, _ = probed
    assert found["utime_ns"] == [1_002_003_000, 4_005_006_000]
    assert (data / "created.txt").stat().st_mtime_ns == 4_005_006_000
    assert found["host_ns"] == 1_234_567_891_234_567_000  # the microseconds it can set
    assert found["utime_zero"] == 0 and (data / "dup.txt").stat().st_mtime_ns == 0
    assert found["futime"] == 6_000


def test_inodes_special_files_and_refusals(probed) -> None:
    found, _, _ = probed
    print({k: v for k, v in found.items() if k.startswith("t_")})
    assert found["ino_same"] is True
    assert found["fifo_listing"] == ["plain.txt"]
    assert found["fifo_open"] == "EACCES"
    assert found["after_refusals"] == "hello"
    assert found["fsync"] == "ok"


def test_committed_rows_are_on_the_host_while_the_app_runs_and_after_close(probed) -> None:
    _, data, context = probed
    with sqlite3.connect(data / "app.db") as db:  # the app still holds its connection
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("select count(*) from t").fetchone()[0] == 3001
        assert db.execute("select count(*) from t where v like '%-x'").fetchone()[0] == 6
    context.close()  # the window closes normally right after the commit
    with sqlite3.connect(data / "app.db") as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("select v from t where v = 'last'").fetchone() == ("last",)


RENAMED = r'''
import asyncio, json, os
from pyshell import dom

async def main():
    with open("/data/proj/data.json") as f:  # the app has seen proj and its file
        seen = f.read()
    open("/data/ready", "w").close()
    while not os.path.exists("/data/go"):
        await asyncio.sleep(0.05)
    with open("/data/proj-old/data.json") as f:  # renamed on the host meanwhile
        old = f.read()
    with open("/data/proj-old/data.json", "w") as f:
        f.write("edited old")
    dom.select("#out").text = json.dumps({"seen": seen, "old": old,
                                          "listing": sorted(os.listdir("/data/proj"))})
'''


def test_folder_renamed_on_the_host_keeps_its_own_files(tmp_path: Path, pyshell_browser) -> None:
    """A folder renamed outside the app, and a new one made under its old name: the app's
    paths reach what the host has there now, never the other folder's files."""
    from playwright.sync_api import expect

    from pyshell.testing import wait_until_started

    data = tmp_path / "data"
    (data / "proj").mkdir(parents=True)
    (data / "proj" / "data.json").write_text("original")
    app = write_app(tmp_path / "app", RENAMED, grant_toml(data, "/data", "rw"))
    with open_app(pyshell_browser, app, {"appdata": tmp_path / "appdata"}, wait=None) as opened:
        page = opened.page
        wait_until((data / "ready").exists, 120, "the app to get ready", 0.1)
        (data / "proj").rename(data / "proj-old")
        (data / "proj").mkdir()
        (data / "proj" / "new.txt").write_text("new")
        (data / "go").write_text("")
        wait_until_started(page, timeout_ms=120_000)
        expect(page.locator("#out")).not_to_be_empty(timeout=120_000)
        found = json.loads(page.locator("#out").inner_text())
    assert found == {"seen": "original", "old": "original", "listing": ["new.txt"]}
    assert (data / "proj-old" / "data.json").read_text() == "edited old"
    assert sorted(p.name for p in (data / "proj").iterdir()) == ["new.txt"]
