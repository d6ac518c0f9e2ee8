"""Signed updates: keys, the update site `pyshell build --target update` writes, the feed check
and the versions-side-by-side layout. Real Ed25519, real archives, real files."""

from __future__ import annotations

import base64
import difflib
import hashlib
import http.server
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

import pyshell
from kit.apps import BLANK_UI, Opened, open_app, write_app
from kit.procs import assert_one_line_error, run_cli
from kit.waits import poll
from pyshell import config, scaffold, tomledit
from pyshell.build import changelog
from pyshell.build import project as projects
from pyshell.errors import PyshellError
from pyshell.selfupdate import download, feed, keys, service
from pyshell.selfupdate.feed import UpdateRefused
from pyshell.selfupdate.layout import Layout, State
from pyshell.selfupdate.updater import Updater

EPOCH = "1700000000"
CHANGELOG = """# Changes

## [0.2.0] - 2026-11-30

- Tasks can be renamed.

## 0.1.0

- First release.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The template app at 0.2.0, keyed and built once into an update site."""
    root = tmp_path_factory.mktemp("updates")
    env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), SOURCE_DATE_EPOCH=EPOCH)
    app = scaffold.create("upd-tasks", target=root / "upd-tasks")
    original = (app / "pyproject.toml").read_text()
    (app / "CHANGELOG.md").write_text(CHANGELOG)
    proc = run_cli("keys", "new", str(app), env=env)
    assert proc.returncode == 0, proc.stderr
    (root / "keyed.toml").write_text((app / "pyproject.toml").read_text())
    (root / "original.toml").write_text(original)
    toml = app / "pyproject.toml"
    toml.write_text(toml.read_text().replace('version = "0.1.0"', 'version = "0.2.0"')
                    .replace("public-key =", 'url = "https://updates.example.org/upd-tasks"\n'
                             "public-key ="))
    proc = run_cli("build", str(app), "--target", "update", env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "app": app, "config": root / "config",
            "site": app / "dist" / "upd-tasks-update"}


def public_key(site: dict[str, Path]) -> str:
    loaded = config.load(site["app"]).updates
    assert loaded is not None
    return loaded.public_key


def read(site: dict[str, Path], data: bytes | None = None, running: str = "0.1.0",
         seen: str | None = None) -> feed.Feed:
    data = (site["site"] / "feed.json").read_bytes() if data is None else data
    return feed.read(data, public_key(site), "upd-tasks", running, seen)


def test_keys_new_keeps_the_private_key_private_and_the_pyproject_as_written(
        site: dict[str, Path]) -> None:
    path = site["config"] / "pyshell" / "keys" / "upd-tasks.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(site["app"].rglob("*.key"))
    original = (site["root"] / "original.toml").read_text().splitlines()
    keyed = (site["root"] / "keyed.toml").read_text().splitlines()
    ops = difflib.SequenceMatcher(a=original, b=keyed, autojunk=False).get_opcodes()
    changes = [(tag, keyed[j1:j2]) for tag, _, _, j1, j2 in ops if tag != "equal"]
    assert len(changes) == 1 and changes[0][0] == "insert"  # comments, order: all kept
    header, line = [text for text in changes[0][1] if text]  # and a blank line
    assert header == "[tool.pyshell.updates]" and line.startswith("public-key = ")
    # ...placed with the other [tool.pyshell...] tables, before [tool.pytest.ini_options].
    assert keyed.index(header) < keyed.index("[tool.pytest.ini_options]")
    written = tomllib.loads("\n".join(keyed))["tool"]["pyshell"]["updates"]["public-key"]
    assert len(base64.b64decode(written)) == 32


def test_keys_new_refuses_to_replace_a_key_without_force(site: dict[str, Path],
                                                          tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    app = scaffold.create("upd-force", target=tmp_path / "upd-force")
    assert run_cli("keys", "new", str(app), env=env).returncode == 0
    first = (app / "pyproject.toml").read_text()
    assert_one_line_error(run_cli("keys", "new", str(app), env=env), "already exists",
                          "--force")
    assert (app / "pyproject.toml").read_text() == first
    assert run_cli("keys", "new", str(app), "--force", env=env).returncode == 0
    second = (app / "pyproject.toml").read_text()
    assert second != first and second.count("public-key") == 1
    assert_one_line_error(run_cli("keys", "new", str(tmp_path / "nowhere"), env=env),
                          "pyproject.toml: not found")


def test_keys_new_writes_nothing_when_it_cannot_edit_the_pyproject(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    app = scaffold.create("upd-inline", target=tmp_path / "upd-inline")
    toml = app / "pyproject.toml"
    toml.write_text(toml.read_text().replace("[tool.pyshell]\n",
                                             "[tool.pyshell]\nupdates = { check-every = \"1d\" }\n"))
    before = toml.read_text()
    assert_one_line_error(run_cli("keys", "new", str(app), env=env), "add it by hand")
    assert toml.read_text() == before
    assert not (tmp_path / "config" / "pyshell" / "keys" / "upd-inline.key").exists()
    assert list((tmp_path / "config" / "pyshell" / "keys").iterdir()) == []


def test_the_key_must_match_be_private_and_exist(site: dict[str, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(site["config"]))
    project = projects.load(site["app"])
    assert keys.public_text(keys.signing_key(project)) == public_key(site)
    other = replace(project, app=replace(project.app, updates=replace(
        project.app.updates, public_key=keys.public_text(Ed25519PrivateKey.generate()))))
    with pytest.raises(PyshellError, match="does not match"):
        keys.signing_key(other)
    path = keys.key_path(project.package)
    path.chmod(0o644)
    try:
        with pytest.raises(PyshellError, match="chmod 600"):
            keys.signing_key(project)
    finally:
        path.chmod(0o600)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(PyshellError, match="run `pyshell keys new`"):
        keys.signing_key(project)


def test_build_without_a_key_says_to_make_one(tmp_path: Path) -> None:
    app = scaffold.create("upd-nokey", target=tmp_path / "upd-nokey")
    proc = run_cli("build", str(app), "--target", "update", timeout=600,
                   env=dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config")))
    assert_one_line_error(proc, "pyshell keys new", progress=True)
    assert not (app / "dist").exists()


def test_the_built_feed_verifies_and_lists_every_file(site: dict[str, Path]) -> None:
    found = read(site)
    assert (found.app, found.version, found.notes) == ("upd-tasks", "0.2.0",
                                                       "- Tasks can be renamed.")
    assert {f.name for f in found.files} | {"feed.json"} == {
        p.name for p in site["site"].iterdir()}
    for entry in found.files:
        feed.check_file(site["site"] / entry.name, entry)
    feed.check_host(found, "0.1.0")
    with pytest.raises(UpdateRefused, match="needs pyshell 0.1.0"):
        feed.check_host(found, "0.0.9")


def tampered(site: dict[str, Path], change) -> bytes:
    doc = json.loads((site["site"] / "feed.json").read_bytes())
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("change", [
    lambda d: d["signed"].update(version="0.3.0"),
    lambda d: d["signed"]["files"][0].update(sha256="0" * 64),
    lambda d: d["signed"].update(notes="Nothing to see."),
    lambda d: d.update(signature=base64.b64encode(bytes(64)).decode()),
    lambda d: d.update(signature="not base64!"),
], ids=["version", "hash", "notes", "zero-signature", "garbled-signature"])
def test_a_tampered_feed_is_refused(site: dict[str, Path], change) -> None:
    with pytest.raises(UpdateRefused, match="bad signature") as info:
        read(site, tampered(site, change))
    assert "\n" not in str(info.value)


def test_a_feed_signed_with_another_key_is_refused(site: dict[str, Path]) -> None:
    good = read(site)
    stranger = Ed25519PrivateKey.generate()
    forged = feed.document(good, stranger.sign(feed.canonical(good.payload())))
    with pytest.raises(UpdateRefused, match="bad signature"):
        read(site, forged)


def test_the_same_key_cannot_move_a_feed_to_another_app(site: dict[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(site["config"]))
    key = keys.signing_key(projects.load(site["app"]))
    other = replace(read(site), app="other-app")
    data = feed.document(other, key.sign(feed.canonical(other.payload())))
    with pytest.raises(UpdateRefused, match="for app 'other-app'"):
        read(site, data)
    assert read(site, feed.document(read(site), key.sign(
        feed.canonical(read(site).payload())))).version == "0.2.0"  # same key, same app: ok


@pytest.mark.parametrize(("running", "seen", "needle"), [
    ("0.2.0", None, "is the running one"),
    ("0.3.0", None, "older than the running 0.3.0"),
    ("0.1.0", "0.3.0", "older than 0.3.0"),
])
def test_a_downgrade_or_a_replayed_feed_is_refused(site: dict[str, Path], running: str,
                                                   seen: str | None, needle: str) -> None:
    with pytest.raises(UpdateRefused, match=needle):
        read(site, running=running, seen=seen)


def test_the_feed_seen_before_is_still_good(site: dict[str, Path]) -> None:
    assert read(site, running="0.1.0", seen="0.2.0").version == "0.2.0"


@pytest.mark.parametrize("damage", ["byte", "truncated", "longer"])
def test_a_damaged_download_is_refused(site: dict[str, Path], tmp_path: Path,
                                       damage: str) -> None:
    entry = read(site).file("app")
    data = bytearray((site["site"] / entry.name).read_bytes())
    if damage == "byte":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncated":
        del data[-100:]
    else:
        data += b"\0"
    (tmp_path / entry.name).write_bytes(bytes(data))
    needle = "SHA-256" if damage == "byte" else "bytes, the feed says"
    with pytest.raises(UpdateRefused, match=needle):
        feed.check_file(tmp_path / entry.name, entry)


def test_malformed_feeds_are_refused_by_name(site: dict[str, Path]) -> None:
    for data, needle in [(b"<html>", "not JSON"), (b"[]", "not a signed feed"),
                         (b"x" * 2_000_000, "more than a feed can be")]:
        with pytest.raises(UpdateRefused, match=needle):
            read(site, data)


def installed(site: dict[str, Path], tmp_path: Path) -> tuple[Layout, feed.Feed]:
    """A 0.1.0 install (its shipped bundle) with the site's 0.2.0 unpacked and ready."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "pyproject.toml").write_text('[project]\nname = "upd-tasks"\n'
                                            'version = "0.1.0"\n')
    layout = Layout(tmp_path / "data" / "updates", shipped, "0.1.0")
    found = read(site)
    layout.unpack(found.version, site["site"] / found.file("app").name,
                  site["site"] / found.file("runtime").name)
    layout.make_ready(found.version)
    return layout, found


HOLD_AND_WRITE = """
import sys, time
from dataclasses import replace
from pathlib import Path
from pyshell.selfupdate.layout import Layout

layout = Layout(Path(sys.argv[1]), Path(sys.argv[1]) / "shipped", "0.1.0")
with layout.lock:
    state = layout.state()
    print("holding", flush=True)
    time.sleep(1)
    layout.write(replace(state, failed="0.1.5"))
"""


def test_two_processes_never_lose_each_others_pointer_changes(tmp_path: Path) -> None:
    """A launch beside a running copy (or two copies of an app that allows them): one
    process holds the pointer while it changes it; the other's change waits for it, and
    both are kept."""
    from kit.procs import read_until

    layout = Layout(tmp_path, tmp_path / "shipped", "0.1.0")
    other = subprocess.Popen([sys.executable, "-c", HOLD_AND_WRITE, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(Path(pyshell.__file__).parents[1])))
    assert other.stdout is not None
    read_until(other.stdout, "holding", timeout=30)
    layout.saw("0.3.0")  # while the other process holds the pointer
    assert other.wait(timeout=30) == 0
    assert (layout.state().seen, layout.state().failed) == ("0.3.0", "0.1.5")


def test_apply_switches_at_the_next_launch(site: dict[str, Path], tmp_path: Path) -> None:
    layout, _ = installed(site, tmp_path)
    bundle = layout.versions / "0.2.0"
    assert 'version = "0.2.0"' in (bundle / "pyproject.toml").read_text()
    assert (bundle / "runtime" / "pyodide.asm.wasm").is_file()
    assert (bundle / "ui" / "index.html").is_file() and (bundle / "app" / "main.py").is_file()
    assert sorted(p.name for p in layout.root.iterdir()) == [".lock", "state.json", "versions"]
    choice = layout.choose()
    assert (choice.bundle, choice.version, choice.notice) == (bundle, "0.2.0", None)
    layout.reached_entry()
    for _ in range(3):  # confirmed: it stays, however often it starts
        assert layout.choose().version == "0.2.0"
    assert layout.state().previous is None


def test_a_version_that_never_reaches_its_entry_is_rolled_back_once(
        site: dict[str, Path], tmp_path: Path) -> None:
    layout, _ = installed(site, tmp_path)
    assert [layout.choose().version for _ in range(2)] == ["0.2.0", "0.2.0"]
    back = layout.choose()
    assert (back.bundle, back.version) == (layout.shipped, "0.1.0")
    assert back.notice == "the update to 0.2.0 did not start twice; went back to 0.1.0"
    assert not (layout.versions / "0.2.0").exists()
    again = layout.choose()
    assert (again.version, again.notice) == ("0.1.0", None)


def test_a_broken_pointer_or_half_unpacked_version_starts_the_shipped_app(
        site: dict[str, Path], tmp_path: Path) -> None:
    layout, _ = installed(site, tmp_path)
    (layout.versions / ".0.3.0.partial" / "ui").mkdir(parents=True)  # killed while unpacking
    (layout.root / "state.json").write_text('{"current": "0.2')  # not from write(): torn
    assert layout.choose().bundle == layout.shipped
    layout.make_ready("0.2.0")
    layout.choose()
    (layout.versions / "0.2.0" / "pyproject.toml").unlink()  # damaged after the switch
    assert layout.choose().bundle == layout.shipped


APPLY_FOREVER = """
import sys
from pathlib import Path
from pyshell.selfupdate.layout import Layout
root, shipped, app, runtime = map(Path, sys.argv[1:])
layout = Layout(root, shipped, "0.1.0")
n = 0
while True:
    n += 1
    layout.unpack(f"0.2.{n}", app, runtime)
    layout.make_ready(f"0.2.{n}")
    layout.choose()
    print(n, flush=True)
"""


def test_sigkill_while_applying_leaves_a_version_that_starts(site: dict[str, Path],
                                                             tmp_path: Path) -> None:
    """Killed at whatever point it has reached (unpacking, switching), the install starts a
    complete version: every file of the bundle is there."""
    layout, found = installed(site, tmp_path)
    args = [str(layout.root), str(layout.shipped), str(site["site"] / found.file("app").name),
            str(site["site"] / found.file("runtime").name)]
    child = subprocess.Popen([sys.executable, "-c", APPLY_FOREVER, *args],
                             stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "1"  # one full round done, the next under way
    child.send_signal(signal.SIGKILL)
    child.wait()
    choice = layout.choose()
    assert choice.version.startswith("0.2.")
    complete = {p.relative_to(layout.versions / "0.2.0").as_posix()
                for p in (layout.versions / "0.2.0").rglob("*")}
    assert {p.relative_to(choice.bundle).as_posix() for p in choice.bundle.rglob("*")} == complete


def test_a_newer_package_installed_over_an_update_wins(site: dict[str, Path],
                                                       tmp_path: Path) -> None:
    layout, _ = installed(site, tmp_path)
    layout.choose()
    layout.reached_entry()
    newer = Layout(layout.root, layout.shipped, "0.3.0")
    assert newer.choose().version == "0.3.0"


def test_the_update_site_is_reproducible(site: dict[str, Path]) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(site["config"]), SOURCE_DATE_EPOCH=EPOCH)
    before = {p.name: p.read_bytes() for p in site["site"].iterdir()}
    proc = run_cli("build", str(site["app"]), "--target", "update", env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert {p.name: p.read_bytes() for p in site["site"].iterdir()} == before


def test_the_ci_workflow_signs_the_update_site_with_the_key_from_its_secret(
        site: dict[str, Path], tmp_path: Path) -> None:
    """The workflow's update step, run as the Linux runner runs it: the key arrives as the
    secret's text, signs the same site, and is gone afterwards."""
    import yaml

    from pyshell.build.targets import workflow

    jobs = yaml.safe_load(workflow.render("upd-tasks"))["jobs"]
    step = next(s for s in jobs["installers"]["steps"] if "PYSHELL_UPDATE_KEY" in s.get("env", {}))
    assert "HAS_UPDATE_KEY" in step["if"] and "Linux" in step["if"]
    before = {p.name: p.read_bytes() for p in site["site"].iterdir()}
    shutil.rmtree(site["site"])
    home = tmp_path / "runner"
    env = dict(os.environ, HOME=str(home), SOURCE_DATE_EPOCH=EPOCH,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYSHELL_UPDATE_KEY=(site["config"] / "pyshell/keys/upd-tasks.key").read_text())
    env.pop("XDG_CONFIG_HOME", None)
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=site["app"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert {p.name: p.read_bytes() for p in site["site"].iterdir()} == before
    assert list((home / ".config/pyshell/keys").iterdir()) == []


@pytest.mark.parametrize(("text", "version", "expected"), [
    (CHANGELOG, "0.2.0", "- Tasks can be renamed."),
    (CHANGELOG, "0.1.0", "- First release."),
    (CHANGELOG, "0.2", None),
    ("## v1.0\nfirst\n### Fixed\n- a bug\n## 0.9\nold\n", "1.0", "first\n### Fixed\n- a bug"),
    ("## 10.2.0\nnot it\n## 0.2.0.1\nnor this\n", "0.2.0", None),
])
def test_release_notes_come_from_the_changelog_section(tmp_path: Path, text: str,
                                                       version: str, expected: str | None) -> None:
    (tmp_path / "CHANGELOG.md").write_text(text)
    assert changelog.notes(tmp_path, version) == expected
    assert changelog.notes(tmp_path / "elsewhere", version) == ""


TEMPLATE_TAIL = '''[tool.pyshell]
entry = "app.main:main"  # where the app starts

# the window
[tool.pyshell.window]
title = "T"

# pytest's settings
[tool.pytest.ini_options]
testpaths = ["tests"]
'''


@pytest.mark.parametrize(("before", "after"), [
    ('[project]\nname = "t"\n', '[project]\nname = "t"\n\n[tool.pyshell.updates]\nk = "v"\n'),
    ('[tool.pyshell.updates]\n# the site\nurl = "u"\n',
     '[tool.pyshell.updates]\nk = "v"\n# the site\nurl = "u"\n'),
    ('[tool.pyshell.updates]\nk = "old"  # note\n[x]\n', '[tool.pyshell.updates]\nk = "v"\n[x]\n'),
    ('[a]\r\nb = 1\r\n', '[a]\r\nb = 1\r\n\r\n[tool.pyshell.updates]\r\nk = "v"\r\n'),
    (TEMPLATE_TAIL, TEMPLATE_TAIL.replace(
        "title = \"T\"\n", "title = \"T\"\n\n[tool.pyshell.updates]\nk = \"v\"\n")),
])
def test_toml_edits_keep_everything_else(tmp_path: Path, before: str, after: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(before.encode())
    tomledit.set_string(path, "tool.pyshell.updates", "k", "v")
    assert path.read_bytes().decode() == after


@pytest.mark.parametrize("text", [
    '[tool.pyshell]\nupdates = { url = "u" }\n',
    '[tool.pyshell]\nupdates.url = "u"\n',
])
def test_toml_layouts_that_cannot_be_edited_safely_are_refused(tmp_path: Path,
                                                                text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(PyshellError, match=r"add it by hand under \[tool.pyshell.updates\]"):
        tomledit.set_string(path, "tool.pyshell.updates", "k", "v")
    assert path.read_text() == text


KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(("table", "needle"), [
    ('url = "https://x.org/u"\n', "public-key is missing; run `pyshell keys new`"),
    ('public-key = "abc"\n', "public-key must be an Ed25519 public key"),
    (f'public-key = "{KEY}"\nurl = "http://example.org/u"\n', "url must be an https://"),
    (f'public-key = "{KEY}"\nurl = "ftp://x.org/u"\n', "url must be an https://"),
    (f'public-key = "{KEY}"\ncheck-every = "2 weeks"\n', "check-every must be"),
    (f'public-key = "{KEY}"\ncheck-every = "0h"\n', "check-every must be"),
    (f'public-key = "{KEY}"\ncheck-every = 6\n', "check-every must be"),
    (f'public-key = "{KEY}"\nchannel = "beta"\n', "unknown key 'channel'"),
])
def test_bad_updates_config_is_one_line(app_dir: Path, table: str, needle: str) -> None:
    toml = app_dir / "pyproject.toml"
    toml.write_text(toml.read_text() + "\n[tool.pyshell.updates]\n" + table)
    with pytest.raises(PyshellError, match="tool.pyshell.updates") as info:
        config.load(app_dir)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_updates_config_values(app_dir: Path) -> None:
    toml = app_dir / "pyproject.toml"
    base = toml.read_text()
    assert config.load(app_dir).updates is None
    toml.write_text(base + f'[tool.pyshell.updates]\npublic-key = "{KEY}"\n'
                    'url = "http://127.0.0.1:8765/site"\ncheck-every = "12h"\n')
    loaded = config.load(app_dir).updates
    assert loaded == config.UpdatesConfig(KEY, "http://127.0.0.1:8765/site", 43200)
    toml.write_text(base + f'[tool.pyshell.updates]\npublic-key = "{KEY}"\n')
    assert config.load(app_dir).updates == config.UpdatesConfig(KEY, None, 86400)


class SiteHandler(http.server.BaseHTTPRequestHandler):
    """A static host for the update site that honours ``Range`` (unless told not to), and
    can drop the connection after some bytes, or redirect elsewhere."""

    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        srv = self.server
        srv.ranges.append(self.headers.get("Range"))
        if "/elsewhere/" in self.path:
            self.send_response(302)
            self.send_header("Location", "http://localhost:9/feed.json")
            self.end_headers()
            return
        name = self.path.removeprefix("/upd-tasks/")
        path = srv.root / name
        if "/" in name or not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        wanted = self.headers.get("Range")
        if wanted and srv.honour_range:
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if srv.cut_after is not None:
            body, srv.cut_after = body[:srv.cut_after], None  # then the connection drops
        srv.sent += len(body)
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class SiteServer(http.server.ThreadingHTTPServer):
    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.root = root
        self.ranges: list[str | None] = []
        self.honour_range = True
        self.cut_after: int | None = None
        self.sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/upd-tasks"


@pytest.fixture
def served(site: dict[str, Path]) -> Iterator[SiteServer]:
    server = SiteServer(site["site"])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_feed_and_files_come_from_the_site_and_verify(site: dict[str, Path],
                                                      served: SiteServer, tmp_path: Path) -> None:
    found = read(site, download.fetch_feed(served.url))
    seen: list[tuple[int, int]] = []
    for entry in found.files:
        path = download.fetch_file(served.url, entry, tmp_path, lambda a, b: seen.append((a, b)))
        assert path.read_bytes() == (site["site"] / entry.name).read_bytes()
    assert seen[-1] == (found.file("runtime").size, found.file("runtime").size)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in found.files)


@pytest.mark.parametrize("honour_range", [True, False], ids=["resumed", "restarted"])
def test_an_interrupted_download_resumes(site: dict[str, Path], served: SiteServer,
                                         tmp_path: Path, honour_range: bool) -> None:
    entry = read(site).file("runtime")
    served.cut_after = 1_000_000
    with pytest.raises(download.UpdateUnavailable, match="interrupted at 1000000 of"):
        download.fetch_file(served.url, entry, tmp_path)
    assert (tmp_path / f"{entry.name}.part").stat().st_size == 1_000_000
    served.honour_range, served.sent = honour_range, 0
    path = download.fetch_file(served.url, entry, tmp_path)
    feed.check_file(path, entry)
    assert served.ranges == [None, "bytes=1000000-"]
    assert served.sent == entry.size - (1_000_000 if honour_range else 0)
    assert not (tmp_path / f"{entry.name}.part").exists()


def test_a_file_altered_on_the_site_is_refused_and_dropped(site: dict[str, Path],
                                                           served: SiteServer,
                                                           tmp_path: Path) -> None:
    entry = read(site).file("app")
    altered = tmp_path / "site"
    altered.mkdir()
    data = bytearray((site["site"] / entry.name).read_bytes())
    data[100] ^= 0xFF
    (altered / entry.name).write_bytes(bytes(data))
    served.root = altered
    with pytest.raises(UpdateRefused, match="SHA-256"):
        download.fetch_file(served.url, entry, tmp_path / "staging")
    assert list((tmp_path / "staging").iterdir()) == []  # the next attempt starts clean


def test_an_unreachable_or_wandering_site_is_one_quiet_line(site: dict[str, Path],
                                                            served: SiteServer) -> None:
    cases = [(served.url + "/nothing-here", "answered 404"),
             (served.url + "/elsewhere", "redirects to another site"),
             (served.url.replace(str(served.server_address[1]), "9"), "could not be reached")]
    for url, needle in cases:
        with pytest.raises(download.UpdateUnavailable, match=needle) as info:
            download.fetch_feed(url)
        assert "\n" not in str(info.value)


def install_at_010(site: dict[str, Path], tmp_path: Path) -> tuple[Layout, service.Running]:
    """A 0.1.0 install whose shipped bundle has the runtime the site's feed names."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "pyproject.toml").write_text('[project]\nname = "upd-tasks"\n'
                                            'version = "0.1.0"\n')
    with tarfile.open(site["site"] / read(site).file("runtime").name) as tar:
        tar.extractall(shipped)
    layout = Layout(tmp_path / "data" / "updates", shipped, "0.1.0")
    return layout, service.Running("upd-tasks", "0.1.0", shipped, "0.1.0", read(site).pyodide)


def updates_config(site: dict[str, Path], url: str) -> config.UpdatesConfig:
    return config.UpdatesConfig(public_key(site), url)


def test_a_check_stages_the_update_for_the_next_launch(site: dict[str, Path],
                                                       served: SiteServer,
                                                       tmp_path: Path) -> None:
    layout, running = install_at_010(site, tmp_path)
    outcome = service.check(updates_config(site, served.url), layout, running)
    assert outcome == service.Outcome("ready", "0.2.0", notes="- Tasks can be renamed.")
    assert served.ranges == [None, None]  # the feed and the app layer; the runtime is the same
    assert not (layout.root / "staging" / "0.2.0").exists()
    choice = layout.choose()
    assert choice.version == "0.2.0"
    assert (choice.bundle / "runtime" / "pyodide.asm.wasm").read_bytes() == (
        running.bundle / "runtime" / "pyodide.asm.wasm").read_bytes()
    layout.reached_entry()
    again = service.check(updates_config(site, served.url), layout,
                          replace(running, version="0.2.0", bundle=choice.bundle))
    assert again == service.Outcome("current", "0.2.0")


def test_a_new_pyodide_comes_with_the_update(site: dict[str, Path], served: SiteServer,
                                             tmp_path: Path) -> None:
    layout, running = install_at_010(site, tmp_path)
    older = replace(running, pyodide="0.27.0")
    assert service.check(updates_config(site, served.url), layout, older).state == "ready"
    assert len(served.ranges) == 3  # the feed, the app layer, the runtime
    assert service.check(updates_config(site, served.url), layout, older).state == "ready"
    assert len(served.ranges) == 4  # already ready: only the feed again


def test_a_check_that_fails_changes_nothing_and_says_why(site: dict[str, Path],
                                                         served: SiteServer,
                                                         tmp_path: Path) -> None:
    layout, running = install_at_010(site, tmp_path)
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "feed.json").write_bytes(tampered(site, lambda d: d["signed"].update(
        version="9.0.0")))
    served.root = forged
    refused = service.check(updates_config(site, served.url), layout, running)
    assert refused.state == "refused" and "bad signature" in str(refused.reason)
    assert served.ranges == [None]  # nothing downloaded
    served.root = site["site"]
    newer = service.check(updates_config(site, served.url), layout,
                          replace(running, pyshell="0.0.1"))
    assert newer.state == "refused" and "needs pyshell 0.1.0" in str(newer.reason)
    served.server_close()
    gone = service.check(updates_config(site, served.url.replace(
        str(served.server_address[1]), "9")), layout, running)
    assert gone.state == "unavailable" and "could not be reached" in str(gone.reason)
    assert layout.state().ready is None and layout.choose().bundle == running.bundle


# An installed app's launch (the tarball's launch.py: ``installed.main`` on its app/ folder)
# with the window replaced by a client that plays the page's part over the app server:
# it loads the page, says the app's entry point returned when told to (what loader.mjs
# does once main() returned; the page test below checks the real page does), lets the
# window be up, waits for the update check that starts and prints what it saw. Told to
# restart into a ready update, it asks as the app does, and answers the close as the page
# does: the window goes, and the process starts again.
LAUNCH = '''
import json, re, sys, threading, time, types, urllib.request
import pyshell.launcher
from pyshell.installed import main

class Handlers(list):
    def __iadd__(self, handler):
        self.append(handler)
        return self

class Window:
    def __init__(self, api):
        self.api, self.gone = api, threading.Event()
        self.events = types.SimpleNamespace(closing=Handlers())

    def run_js(self, script):  # the close request: the app's close handlers ran, all agreed
        self.api("closed", {"close": True})

    def destroy(self):
        self.gone.set()

def client(url, settings, engine, stop, on_started=None, **kwargs):
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = browser.open(url, timeout=30).read().decode()
    token = re.search('name="pyshell-token" content="([^"]+)"', page).group(1)
    origin = url.split("/_pyshell/")[0]

    def api(path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(origin + "/_pyshell/api/" + path, data=data, headers={
            "x-pyshell-token": token, "content-type": "application/json"})
        return json.loads(browser.open(request, timeout=60).read())

    if sys.argv[2] == "entry-ok":
        api("started", {"ok": True})
    if on_started is not None:
        on_started(None)
    status = api("updates")
    while status["state"] in ("checking", "downloading"):
        time.sleep(0.02)
        status = api("updates")
    if sys.argv[3:] == ["restart"] and status["state"] == "ready":
        window = Window(api)
        kwargs["closer"].attach(window)
        assert api("updates/restart", {}) == {"restarting": True}
        assert window.gone.wait(30)
    print(json.dumps({"title": re.search("<title>(.*)</title>", page).group(1),
                      "status": status, "threads": [t.name for t in threading.enumerate()],
                      "modules": sorted(m for m in sys.modules if "selfupdate" in m)}))

pyshell.launcher.open_window = client
sys.exit(main(sys.argv[1], ["--gui", "gtk"]))
'''
SHIPPED_TITLE = "<title>Upd Tasks 0.1.0</title>"


def resigned(site: dict[str, Path], dest: Path, url: str,
             monkeypatch: pytest.MonkeyPatch) -> Path:
    """The update site again, its app layer declaring ``url`` as its update site (so the
    updated app, too, only ever reaches this loopback site), signed with the app's key."""
    found = read(site)
    dest.mkdir()
    app = found.file("app")
    with tarfile.open(site["site"] / app.name) as src, \
            tarfile.open(dest / app.name, "w:gz") as out:
        for member in src:
            source = src.extractfile(member) if member.isfile() else None
            data = source.read() if source is not None else None
            if member.name == "app/pyproject.toml" and data is not None:
                data = data.replace(b"https://updates.example.org/upd-tasks", url.encode())
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    shutil.copy(site["site"] / found.file("runtime").name, dest)
    new = replace(found, files=tuple(replace(
        e, sha256=hashlib.sha256((dest / e.name).read_bytes()).hexdigest(),
        size=(dest / e.name).stat().st_size) for e in found.files))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(site["config"]))
    key = keys.signing_key(projects.load(site["app"]))
    (dest / "feed.json").write_bytes(feed.document(new, key.sign(feed.canonical(new.payload()))))
    return dest


def install(site: dict[str, Path], tmp_path: Path, url: str | None) -> Path:
    """The site's app installed at 0.1.0 as the tarball lays it out (its app/ folder), with
    ``url`` as its update site (None: an [tool.pyshell.updates] table without one)."""
    shipped = tmp_path / "install" / "app"
    shipped.parent.mkdir()
    found = read(site)
    for name, dest in ((found.file("app").name, shipped),
                       (found.file("runtime").name, shipped / "runtime")):
        with tarfile.open(site["site"] / name) as tar:
            tar.extractall(tmp_path / "unpacking")
        (top,) = (tmp_path / "unpacking").iterdir()
        top.rename(dest)
    toml = shipped / "pyproject.toml"
    declared = f'url = "{url}"\n' if url else ""
    toml.write_text(toml.read_text().replace('version = "0.2.0"', 'version = "0.1.0"')
                    .replace('url = "https://updates.example.org/upd-tasks"\n', declared))
    index = shipped / "ui" / "index.html"
    index.write_text(index.read_text().replace("<title>Upd Tasks</title>", SHIPPED_TITLE))
    (tmp_path / "home").mkdir()
    return shipped


def launch(shipped: Path, entry_ok: bool = True,
           restart: bool = False) -> tuple[dict[str, Any], list[str]]:
    """One launch of the install; what the page was served and said, and pyshell's lines
    about updates on stderr. ``restart``: into a ready update (then ``seen["before"]``
    is what the first process saw)."""
    home = shipped.parents[1] / "home"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONPATH": str(Path(pyshell.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-c", LAUNCH, str(shipped),
                           "entry-ok" if entry_ok else "entry-never-returns",
                           *(["restart"] if restart else [])],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    *before, seen = [json.loads(line) for line in proc.stdout.splitlines()
                     if line.startswith("{")]
    for each in (*before, seen):
        each["title"] = f"<title>{each['title']}</title>"
    if before:
        seen["before"] = before
    return seen, [line for line in proc.stderr.splitlines() if "update" in line]


def update_folder(shipped: Path) -> Path:
    return shipped.parents[1] / "home" / ".local/share/pyshell/updates/upd-tasks"


def test_an_installed_app_updates_itself_and_goes_back_from_one_that_never_starts(
        site: dict[str, Path], served: SiteServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    served.root = resigned(site, tmp_path / "site", served.url, monkeypatch)
    shipped = install(site, tmp_path, served.url)
    first, said = launch(shipped)
    assert first["title"] == SHIPPED_TITLE
    assert first["status"] == {"state": "ready", "current": "0.1.0", "version": "0.2.0",
                               "progress": None, "reason": None,
                               "notes": "- Tasks can be renamed."}
    assert said == ["pyshell: update 0.2.0 is ready; it runs from the next launch"]
    assert served.ranges == [None, None]  # the feed and the app layer (same runtime)

    # The next launch runs 0.2.0; no check (check-every: one a day). Its entry point never
    # returns, twice: the launch after goes back to 0.1.0, says so once, drops its snapshots.
    for _ in range(2):
        updated, said = launch(shipped, entry_ok=False)
        assert updated["title"] == "<title>Upd Tasks</title>" and said == []
        assert updated["status"]["current"] == "0.2.0"
    snapshots = shipped.parents[1] / "home/.cache/pyshell/snapshots/upd-tasks"
    snapshots.mkdir(parents=True)
    (snapshots / "0123-abcd.snap").write_bytes(b"of 0.2.0")
    back, said = launch(shipped)
    assert back["title"] == SHIPPED_TITLE and not snapshots.exists()
    assert said == ["pyshell: the update to 0.2.0 did not start twice; went back to 0.1.0"]
    assert back["status"]["state"] == "failed" and back["status"]["version"] == "0.2.0"
    assert not (update_folder(shipped) / "versions" / "0.2.0").exists()

    # The same release is not fetched again; nor is the rollback said again.
    (update_folder(shipped) / "last-check").unlink()
    again, said = launch(shipped)
    assert again["title"] == SHIPPED_TITLE and again["status"]["state"] == "failed"
    assert said == ["pyshell: update refused: update 0.2.0: it did not start on this computer "
                    "and was rolled back; waiting for a newer version"]
    assert served.ranges == [None, None, None]  # the feed only


def test_a_tampered_feed_changes_nothing_and_a_good_update_is_kept(
        site: dict[str, Path], served: SiteServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = resigned(site, tmp_path / "site", served.url, monkeypatch)
    forged = tmp_path / "forged"
    shutil.copytree(good, forged)
    doc = json.loads((forged / "feed.json").read_bytes())
    doc["signed"]["notes"] = "Nothing to see."
    (forged / "feed.json").write_text(json.dumps(doc))
    served.root = forged
    shipped = install(site, tmp_path, served.url)
    refused, said = launch(shipped)
    assert refused["status"]["state"] == "failed"
    assert said == ["pyshell: update refused: update feed: bad signature; it was not signed "
                    "with this app's key, or was altered after signing"]
    assert served.ranges == [None]  # nothing downloaded
    assert Layout(update_folder(shipped), shipped, "0.1.0").choose().version == "0.1.0"

    # A good update, and the app asks to restart into it at once: the same process runs
    # again (the close went the usual way), on 0.2.0.
    served.root = good
    (update_folder(shipped) / "last-check").unlink()
    updated, _ = launch(shipped, restart=True)
    (first,) = updated["before"]
    assert first["title"] == SHIPPED_TITLE and first["status"]["state"] == "ready"
    assert updated["title"] == "<title>Upd Tasks</title>"
    assert updated["status"]["current"] == "0.2.0"
    layout = Layout(update_folder(shipped), shipped, "0.1.0")
    assert layout.state().confirmed and layout.state().previous is None
    assert [p.name for p in layout.versions.iterdir()] == ["0.2.0"]


@pytest.mark.parametrize("table", [True, False], ids=["key-without-url", "no-table"])
def test_an_app_without_an_update_site_never_checks(site: dict[str, Path], tmp_path: Path,
                                                    table: bool) -> None:
    shipped = install(site, tmp_path, None)
    toml = shipped / "pyproject.toml"
    if not table:
        toml.write_text(toml.read_text().split("[tool.pyshell.updates]")[0])
    seen, said = launch(shipped)
    assert seen["status"]["state"] == "off" and said == []
    assert "pyshell-updates" not in seen["threads"] and seen["modules"] == []
    assert not (tmp_path / "home" / ".local/share/pyshell").exists()


UPDATES_APP = r'''
import json
from dataclasses import asdict
from pyshell import dom, updates

def show(status):
    dom.select("#out").text = json.dumps(asdict(status))

def main():
    show(updates.status())

@dom.on("click", "#check")
async def check(event):
    show(await updates.check())

@dom.on("click", "#restart")
def restart(event):
    try:
        updates.restart_to_update()
        dom.select("#out").text = "restarting"
    except RuntimeError as exc:
        dom.select("#out").text = f"RuntimeError: {exc}"
'''


def unconfirmed(site: dict[str, Path], tmp_path: Path, url: str) -> tuple[Layout, Updater]:
    """An install whose running version has not reached its entry point yet, and its
    updater, whose log lines go nowhere."""
    tmp_path.mkdir()
    layout, running = install_at_010(site, tmp_path)
    layout.write(State(tries=1, confirmed=False))
    return layout, Updater(updates_config(site, url), layout, running, lambda line: None)


def started_said(opened: Opened) -> Any:
    """What the page told the host once the app's entry point ran (its answer received)."""
    with opened.page.expect_response("**/_pyshell/api/started", timeout=90_000) as answer:
        pass
    return answer.value.request.post_data_json


@pytest.mark.page
def test_the_app_sees_its_updates_and_the_page_says_when_it_started(
        site: dict[str, Path], served: SiteServer, tmp_path: Path, pyshell_browser: Any) -> None:
    layout, updater = unconfirmed(site, tmp_path / "ok", served.url)
    app = write_app(tmp_path / "app", UPDATES_APP, name="upd-tasks",
                    ui=BLANK_UI.replace("<pre", "<button id=check>c</button>"
                                        "<button id=restart>r</button><pre"))
    with open_app(pyshell_browser, app, wait=None, updater=updater) as opened:
        assert started_said(opened) == {"ok": True}
        assert layout.state().confirmed  # the version that got this far is kept
        out = opened.page.locator("#out")
        assert json.loads(out.inner_text())["state"] == "current"
        opened.page.click("#restart")
        expect(out).to_have_text("RuntimeError: no update is ready to restart into (the "
                                 "update status is current)")
        opened.page.click("#check")
        expect(out).to_contain_text('"state": "ready"', timeout=60_000)
        assert json.loads(out.inner_text()) == {
            "state": "ready", "current": "0.1.0", "version": "0.2.0", "progress": None,
            "reason": None, "notes": "- Tasks can be renamed."}
        assert not updater.restart_requested
        opened.page.click("#restart")
        expect(out).to_have_text("restarting")
        assert updater.restart_requested

    failing = write_app(tmp_path / "failing", "def main():\n    raise RuntimeError('no')\n")
    layout, updater = unconfirmed(site, tmp_path / "fails", served.url)
    with open_app(pyshell_browser, failing, wait=None, updater=updater) as opened:
        assert started_said(opened) == {"ok": False}
        assert not layout.state().confirmed


@pytest.mark.page
def test_the_template_says_an_update_is_ready_and_restarts_into_it(
        site: dict[str, Path], served: SiteServer, tmp_path: Path, pyshell_browser: Any) -> None:
    """The template app, as `pyshell new` makes it: a staged update shows as "Version ... is
    ready" with a Restart button, whose click asks the host to restart into it; with no
    update ready the banner stays hidden."""
    _, updater = unconfirmed(site, tmp_path / "ok", served.url)
    app = scaffold.create("upd-tasks", target=tmp_path / "upd-tasks")
    folders = {"appdata": tmp_path / "appdata"}
    with open_app(pyshell_browser, app, folders, updater=updater) as opened:
        expect(opened.page.locator("#list .task").first).to_be_visible()
        assert opened.page.locator("#update").is_hidden()  # current: nothing to say
    assert updater.check().state == "ready"
    with open_app(pyshell_browser, app, folders, updater=updater) as opened:
        banner = opened.page.locator("#update")
        expect(banner).to_have_text("Version 0.2.0 is ready.Restart")
        assert not updater.restart_requested
        banner.get_by_role("button", name="Restart").click()
        poll(lambda: updater.restart_requested, 10)
        assert updater.restart_requested
