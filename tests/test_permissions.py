"""What an app may reach, checked and said: unknown keys, open-urls patterns, broad grants
named at launch and build, and the build report's permissions summary."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kit.apps import grant_toml, write_app
from kit.procs import PYSHELL, assert_one_line_error, run_cli
from pyshell import config, permissions, urls
from pyshell.errors import PyshellError


# ---- [tool.pyshell] keys ------------------------------------------------------------------
@pytest.mark.parametrize("key", ["snapshots", "entrypoint", "permission", "Window"])
def test_unknown_tool_keys_are_one_line_errors_naming_the_key(tmp_path: Path, key: str) -> None:
    app = write_app(tmp_path / "app", extra_toml=f"{key} = true\n")
    with pytest.raises(PyshellError, match=f"unknown key '{key}'"):
        config.load(app)
    proc = run_cli("run", str(app), "--browser", timeout=60)
    assert_one_line_error(proc, "[tool.pyshell]", f"unknown key '{key}'")


# ---- open-urls ----------------------------------------------------------------------------
@pytest.mark.parametrize("pattern", ["ftp://example.com/*", "example.com", "https://*/x",
                                     "https://a.*.example/", "https://example.com/a*b",
                                     "https://u@example.com/", "https://example.com/?q=1",
                                     "https://exa mple.com/", "https://example.com/../x", ""])
def test_bad_open_url_patterns_are_one_line_errors(tmp_path: Path, pattern: str) -> None:
    app = write_app(tmp_path / "app", extra_toml=f"[tool.pyshell.permissions]\n"
                                                 f"open-urls = [{pattern!r}]\n")
    proc = run_cli("run", str(app), "--browser", timeout=60)
    assert_one_line_error(proc, "[tool.pyshell.permissions] open-urls")


PATTERNS = tuple(urls.parse_pattern(p) for p in (
    "https://docs.example/*", "https://*.cdn.example/img/*", "http://exact.example:8080/page"))


@pytest.mark.parametrize(("url", "ok"), [
    ("https://docs.example/", True), ("https://docs.example/a/b?x=1#y", True),
    ("https://DOCS.example/a", True), ("https://docs.example:443/a", True),
    ("http://docs.example/", False), ("https://docs.example:444/", False),
    ("https://docs.example.evil.example/", False), ("https://evil.example/docs.example/", False),
    ("https://a.cdn.example/img/1.png", True), ("https://cdn.example/img/1.png", False),
    ("https://a.cdn.example/other", False),
    ("http://exact.example:8080/page", True), ("http://exact.example:8080/page/more", False),
    ("https://user@docs.example/", False), ("https://docs.example/a/../../b", False),
    ("https://docs.example/%2e%2e/b", False), ("https://docs.example/\x1b[2J", False),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False), ("https://docs.example:x/", False),
])
def test_open_url_patterns_match_what_they_say(url: str, ok: bool) -> None:
    assert urls.allowed(url, PATTERNS) is ok


def test_open_urls_load_into_the_config(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", extra_toml='[tool.pyshell.permissions]\n'
                                                 'open-urls = ["https://docs.example/*"]\n')
    assert config.load(app).open_urls == ("https://docs.example/*",)


# ---- broad grants -------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "reason"), [
    ("/", "the whole file system"), ("{home}", "your whole home folder"),
    ("~", "your whole home folder"), ("/etc", "a system folder (/etc)"),
    ("/usr/share", "a system folder (/usr)"), ("../../../../../../../../etc", "a system folder (/etc)"),
    ("{appdata}", None), ("{documents}/Recipes", None), ("{temp}", None), ("data", None),
])
def test_broad_grants_are_named(tmp_path: Path, path: str, reason: str | None) -> None:
    home = Path.home()
    folders = {"appdata": home / ".local/share/x", "documents": home / "Documents",
               "home": home, "temp": Path("/tmp")}
    app = config.load(write_app(tmp_path / "app", extra_toml=grant_toml(path, "/g", "rw")))
    found = permissions.warnings(app, folders)
    if reason is None:
        assert found == []
    else:
        assert len(found) == 1 and reason in found[0] and "read-write at /g" in found[0]


def test_a_folder_holding_the_home_folder_is_broad() -> None:
    assert permissions.breadth(Path("/home"), Path("/home/ann")) == \
        "a folder holding your home folder"
    assert permissions.breadth(Path("/home/ann/projects"), Path("/home/ann")) is None
    # Running as root, home is /root: its own folders are not "a system folder".
    assert permissions.breadth(Path("/root/.local/share/app"), Path("/root")) is None


def test_launch_warns_about_a_broad_grant_in_one_line(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "def main():\n    pass\n",
                    extra_toml=grant_toml("/", "/all", "rw"))
    stub = tmp_path / "browser"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    proc = subprocess.Popen([*PYSHELL, "run", str(app), "--browser"], stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, BROWSER=str(stub)))
    try:
        first = proc.stderr.readline()
        deadline = time.monotonic() + 30
        while "serving" not in first and time.monotonic() < deadline:
            first += proc.stderr.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    lines = (first + rest).splitlines()
    warned = [ln for ln in lines if ln.startswith("pyshell: warning:")]
    assert warned == ["pyshell: warning: probe is granted the whole file system: path = '/' "
                      "(/, read-write at /all) in [[tool.pyshell.permissions.fs]]"]
    assert proc.returncode == 0


def test_build_warns_and_reports_the_permissions(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "def main():\n    pass\n", extra_toml=(
        grant_toml("{appdata}", "/data", "rw") + grant_toml("~", "/home-all", "ro")
        + '[tool.pyshell.permissions]\nopen-urls = ["https://docs.example/*"]\n'))
    proc = run_cli("build", str(app), "--target", "workflow", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "pyshell: warning: probe is granted your whole home folder: path = '~'" in proc.stderr
    summary = proc.stdout[proc.stdout.index("permissions:"):].splitlines()
    assert summary == ["permissions:", "  files  /data  rw  <- {appdata}",
                       "  files  /home-all  ro  <- ~",
                       "  opens  https://docs.example/*  in the user's browser",
                       "  plus files the user picks in a dialog (this session only)"]


# ---- folders granted at launch: pyshell run --grant / --grant-rw --------------------------
LISTS_AND_WRITES = '''
import os
from pyshell import dom

def main():
    seen = sorted(os.listdir("/photos"))
    with open("/out/note.txt", "w") as fh:
        fh.write("written")
    try:
        open("/photos/new.txt", "w")
        refused = "no"
    except PermissionError:
        refused = "yes"
    dom.select("#out").text = f"{seen} refused={refused}"
'''


def test_a_folder_granted_at_launch_is_there_read_only_or_read_write(
        tmp_path: Path, pyshell_browser) -> None:
    from playwright.sync_api import expect

    from pyshell.testing import wait_until_started

    app = write_app(tmp_path / "app", LISTS_AND_WRITES)
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    out.mkdir()
    (photos / "a.jpg").write_bytes(b"a")
    link, stub = tmp_path / "link.txt", tmp_path / "browser"
    stub.write_text(f'#!/bin/sh\nprintf %s "$1" > {link}\n')
    stub.chmod(0o755)
    proc = subprocess.Popen([*PYSHELL, "run", str(app), "--browser", "--grant",
                             f"/photos={photos}", "--grant-rw", "/out=" + os.path.relpath(out)],
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, BROWSER=str(stub)))
    try:
        deadline = time.monotonic() + 60
        while not (link.exists() and link.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        context = pyshell_browser.new_context()
        page = context.new_page()
        page.goto(link.read_text())
        wait_until_started(page)
        expect(page.locator("#out")).to_have_text("['a.jpg'] refused=yes")
        context.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert (out / "note.txt").read_text() == "written"
    assert not (photos / "new.txt").exists()
    assert proc.returncode == 0


@pytest.mark.parametrize(("option", "spec", "needles"), [
    ("--grant", "/photos", ["--grant '/photos'", "MOUNT=PATH"]),
    ("--grant", "photos={here}", ["mount must be an absolute path"]),
    ("--grant-rw", "/lib={here}", ["--grant-rw /lib=", "would hide /lib"]),
    ("--grant", "/data/sub={here}", ["mount '/data/sub' overlaps '/data'",
                                     "[[tool.pyshell.permissions.fs]]"]),
    ("--grant", "/p={here}/missing", ["missing does not exist"]),
    ("--grant", "/p={here}/file.txt", ["file.txt is a file, not a folder"]),
    ("--grant", "/p={here}/{{home}}", ["holds { or }"]),
])
def test_bad_launch_grants_are_one_line_errors(tmp_path: Path, option: str, spec: str,
                                               needles: list[str]) -> None:
    app = write_app(tmp_path / "app", "def main():\n    pass\n",
                    extra_toml=grant_toml(tmp_path, "/data", "ro"))
    (tmp_path / "file.txt").write_text("x")
    proc = run_cli("run", str(app), "--browser", option, spec.format(here=tmp_path), timeout=60)
    assert_one_line_error(proc, *needles)


def test_two_launch_grants_at_one_mount_clash(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "def main():\n    pass\n")
    proc = run_cli("run", str(app), "--browser", "--grant", f"/p={tmp_path}",
                   "--grant-rw", f"/p={tmp_path}", timeout=60)
    assert_one_line_error(proc, "--grant-rw /p=", "overlaps '/p' (from --grant)")
