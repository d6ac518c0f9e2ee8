"""Grants seen from the app's Python in real Pyodide: escapes and read-only grants refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.apps import grant_toml, run_app_page, write_app

pytestmark = pytest.mark.page

PROBE = r'''
import errno, json, os, pathlib, shutil, sqlite3
from pyshell import dom

def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as exc:
        return f"{type(exc).__name__}:{errno.errorcode.get(exc.errno)}"
    except sqlite3.Error as exc:
        return f"{type(exc).__name__}:{exc}"

def main():
    r = {}
    r["ro_read"] = pathlib.Path("/ro/keep.txt").read_text()
    r["ro_write"] = attempt(lambda: pathlib.Path("/ro/keep.txt").write_text("x"))
    r["ro_append"] = attempt(lambda: open("/ro/keep.txt", "a").write("x"))
    r["ro_new"] = attempt(lambda: pathlib.Path("/ro/new.txt").write_text("x"))
    r["ro_mkdir"] = attempt(lambda: os.mkdir("/ro/d"))
    r["ro_unlink"] = attempt(lambda: os.remove("/ro/keep.txt"))
    r["ro_rename"] = attempt(lambda: os.rename("/ro/keep.txt", "/ro/k2.txt"))
    r["ro_chmod"] = attempt(lambda: os.chmod("/ro/keep.txt", 0o777))
    r["ro_utime"] = attempt(lambda: os.utime("/ro/keep.txt", (1, 1)))
    r["ro_truncate"] = attempt(lambda: os.truncate("/ro/keep.txt", 0))
    r["ro_into"] = attempt(lambda: os.rename("/data/mine.txt", "/ro/mine.txt"))
    r["ro_sqlite"] = attempt(lambda: sqlite3.connect("/ro/new.db").execute("create table t(x)"))
    r["dotdot"] = attempt(lambda: open("/data/../../etc/passwd").read())
    r["link_out"] = attempt(lambda: open("/data/link_out/secret.txt").read())
    r["link_file"] = attempt(lambda: open("/data/link_file").read())
    r["make_link"] = attempt(lambda: os.symlink("/etc", "/data/etc"))
    r["listing"] = sorted(os.listdir("/data"))
    r["outside_mounts"] = sorted(os.listdir("/"))
    dom.select("#out").text = json.dumps(r)
'''


def test_escapes_and_read_only_grants(tmp_path: Path, pyshell_browser) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOPSECRET")
    data, ro, app = tmp_path / "data", tmp_path / "ro", tmp_path / "app"
    for folder in (data, ro):
        folder.mkdir(parents=True)
    (data / "mine.txt").write_text("mine")
    (data / "link_out").symlink_to(outside)
    (data / "link_file").symlink_to(outside / "secret.txt")
    (ro / "keep.txt").write_text("keep")
    write_app(app, PROBE, grant_toml(data, "/data", "rw") + grant_toml(ro, "/ro", "ro"))
    found = json.loads(run_app_page(pyshell_browser, app, tmp_path / "appdata"))
    assert found["ro_read"] == "keep"
    for key in ("ro_write", "ro_append", "ro_new", "ro_mkdir", "ro_unlink", "ro_rename",
                "ro_chmod", "ro_utime", "ro_truncate"):
        assert found[key].startswith("PermissionError:"), (key, found[key])
    assert found["ro_sqlite"] == "OperationalError:unable to open database file"  # as natively
    assert found["ro_into"] == "OSError:EXDEV"  # across grants is never a move
    assert found["dotdot"] == "FileNotFoundError:ENOENT"  # /etc here is Pyodide's, in memory
    assert found["link_out"] == "PermissionError:EACCES"
    assert found["link_file"] == "PermissionError:EACCES"
    assert found["make_link"] == "PermissionError:EPERM"
    assert found["listing"] == ["mine.txt"]
    assert "data" in found["outside_mounts"] and "ro" in found["outside_mounts"]
    assert (ro / "keep.txt").read_text() == "keep" and sorted(p.name for p in ro.iterdir()) == [
        "keep.txt"]
    assert (outside / "secret.txt").read_text() == "TOPSECRET"
    assert (data / "mine.txt").read_text() == "mine"
