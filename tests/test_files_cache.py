"""The worker's file cache never shows the app a stale answer.

The app reads a tree of small files (which fills the cache: attributes, listings and
contents), the host then changes it in ways a weak cache would miss (same length, same
second, a folder swapped under its name, a hard link, a replace), and at the next user
event the app's view of every file must equal the host's, file by file. Both transports
cache (records come pushed over the socket, or with each XHR answer) and both must agree
with the host.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import app_with_buttons, grant_toml, write_app

pytestmark = pytest.mark.page

APP = r'''
import errno, json, os, time
from pyshell import dom

D = "/data"

def main():
    dom.select("#out").text = "ready"

def view():
    """Every file and folder under /data as the app sees it."""
    seen = {}
    for folder, dirs, files in os.walk(D):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.stat(path)
            rel = os.path.relpath(path, D)
            seen[rel] = {"dir": os.path.isdir(path), "size": st.st_size,
                         "mode": oct(st.st_mode & 0o777), "mtime_us": st.st_mtime_ns // 1000,
                         "nlink": st.st_nlink}
            if not seen[rel]["dir"]:
                with open(path, "rb") as f:
                    seen[rel]["text"] = f.read().decode()
        for entry in os.scandir(folder):  # scandir's cached attributes must agree too
            if entry.is_file():
                assert entry.stat().st_size == os.stat(entry.path).st_size, entry.path
    return seen

@dom.on("click", "#look")
def look(event):
    first = view()
    again = view()  # answered from the cache where the host watches
    dom.select("#out").text = json.dumps({"view": first, "same_again": first == again})

@dom.on("click", "#excl")
def exclusive(event):
    try:
        fd = os.open(f"{D}/gone.txt", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.write(fd, b"made again")
        os.close(fd)
        result = "ok"
    except OSError as exc:
        result = errno.errorcode[exc.errno]
    try:
        os.mkdir(f"{D}/gone-dir")
        result += " ok"
    except OSError as exc:
        result += " " + errno.errorcode[exc.errno]
    dom.select("#out").text = result

@dom.on("click", "#poll")
def poll(event):
    """One long handler: a host change must show up without another event."""
    deadline = time.monotonic() + 20
    with open(f"{D}/top.txt") as f:
        first = f.read()
    open(f"{D}/polling", "w").close()  # tells the test to change top.txt now
    now = first
    while now == first and time.monotonic() < deadline:
        with open(f"{D}/top.txt") as f:
            now = f.read()
    dom.select("#out").text = f"{first} -> {now}"

MISSING = ["later.txt", "docs/later-dir", "docs/deep/later.txt", "new-folder/inside.txt"]

@dom.on("click", "#missing")
def missing(event):
    """Which of MISSING exist, asked twice (the second answers come from the cache)."""
    first = [os.path.exists(f"{D}/{name}") for name in MISSING]
    again = [os.path.exists(f"{D}/{name}") for name in MISSING]
    dom.select("#out").text = json.dumps({"exist": first, "same_again": first == again})

@dom.on("click", "#mine")
def mine(event):
    """The app's own changes echo back from the host's watcher: nothing may move."""
    os.mkdir(f"{D}/mine")
    before = os.stat(f"{D}/mine")
    for i in range(20):
        with open(f"{D}/mine/f{i}.txt", "w") as f:
            f.write("x" * i)
    time.sleep(0.5)  # the watcher's records for all of that arrive meanwhile
    after = os.stat(f"{D}/mine")
    sizes = sorted(os.stat(f"{D}/mine/f{i}.txt").st_size for i in range(20))
    dom.select("#out").text = json.dumps({
        "ino_kept": before.st_ino == after.st_ino,
        "samefile": os.path.samefile(f"{D}/mine", f"{D}/mine/."),
        "sizes": sizes, "listed": len(os.listdir(f"{D}/mine"))})
'''


def host_view(data: Path) -> dict:
    seen = {}
    for folder, dirs, files in os.walk(data):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.stat()
            rel = str(path.relative_to(data))
            seen[rel] = {"dir": path.is_dir(), "size": st.st_size,
                         "mode": oct(st.st_mode & 0o777), "mtime_us": st.st_mtime_ns // 1000,
                         "nlink": st.st_nlink}
            if not path.is_dir():
                seen[rel]["text"] = path.read_text()
    return seen


@pytest.fixture(params=["shared-memory", "xhr"])
def app_page(request, tmp_path: Path, pyshell_browser):
    data = tmp_path / "data"
    (data / "docs" / "deep").mkdir(parents=True)
    for i in range(5):
        (data / "docs" / f"n{i}.txt").write_text(f"note {i}")
    (data / "docs" / "deep" / "inner.txt").write_text("inner")
    (data / "top.txt").write_text("top")
    (data / "gone.txt").write_text("to be deleted on the host")
    (data / "gone-dir").mkdir()
    app = write_app(tmp_path / "app", APP, grant_toml(data, "/data", "rw"))
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["look", "excl", "mine", "poll",
                                                                   "missing"],
                          fast_path=request.param == "shared-memory") as (page, _):
        yield page, data

def click(page, button: str) -> str:
    page.locator("#out").evaluate("el => el.textContent = ''")
    page.click(button)
    expect(page.locator("#out")).not_to_be_empty(timeout=30_000)
    return page.locator("#out").inner_text()


def looks_like_host(page, data: Path) -> None:
    found = json.loads(click(page, "#look"))
    assert found["same_again"]
    assert found["view"] == host_view(data)


def test_every_host_change_is_seen_at_the_next_event(app_page) -> None:
    page, data = app_page
    looks_like_host(page, data)  # fills the cache

    note = data / "docs" / "n1.txt"
    stamp = note.stat().st_mtime_ns
    note.write_text("NOTE 1")  # same length
    os.utime(note, ns=(stamp, stamp))  # and the same time: only the bytes differ
    looks_like_host(page, data)

    os.chmod(data / "top.txt", 0o600)
    os.utime(data / "docs" / "n2.txt", ns=(1_700_000_000_123_456_789,) * 2)
    looks_like_host(page, data)

    # A folder moved away and another made under its name, with other files.
    (data / "docs").rename(data / "archive")
    (data / "docs" / "deep").mkdir(parents=True)
    (data / "docs" / "deep" / "inner.txt").write_text("other inner")
    looks_like_host(page, data)

    # A hard link (the original's link count changes), then a replace over a cached file.
    os.link(data / "top.txt", data / "top-link.txt")
    looks_like_host(page, data)
    (data / "replacement.txt").write_text("replaced")
    os.replace(data / "replacement.txt", data / "archive" / "n3.txt")
    (data / "archive" / "deep" / "inner.txt").unlink()
    looks_like_host(page, data)


def test_a_name_made_on_the_host_after_the_app_found_it_missing_is_seen(app_page) -> None:
    """Missing names are remembered (a lookup before every create would otherwise cost a
    request), and forgotten when the host reports them made."""
    page, data = app_page
    assert json.loads(click(page, "#missing")) == {"exist": [False] * 4, "same_again": True}
    (data / "later.txt").write_text("made on the host")
    (data / "docs" / "later-dir").mkdir()
    assert json.loads(click(page, "#missing")) == {"exist": [True, True, False, False],
                                                   "same_again": True}
    (data / "docs" / "deep" / "later.txt").write_text("x")
    (data / "new-folder").mkdir()
    (data / "new-folder" / "inside.txt").write_text("x")
    assert json.loads(click(page, "#missing")) == {"exist": [True] * 4, "same_again": True}
    (data / "later.txt").unlink()
    (data / "docs" / "later-dir").rename(data / "docs" / "moved-dir")
    assert json.loads(click(page, "#missing")) == {"exist": [False, False, True, True],
                                                   "same_again": True}


def test_exclusive_create_after_the_host_deleted_the_name(app_page) -> None:
    page, data = app_page
    looks_like_host(page, data)  # the app has seen gone.txt and gone-dir
    (data / "gone.txt").unlink()
    (data / "gone-dir").rmdir()
    assert click(page, "#excl") == "ok ok"
    assert (data / "gone.txt").read_text() == "made again"
    assert (data / "gone-dir").is_dir()


def test_the_apps_own_changes_keep_folder_numbers(app_page) -> None:
    page, data = app_page
    found = json.loads(click(page, "#mine"))
    assert found == {"ino_kept": True, "samefile": True, "sizes": list(range(20)),
                     "listed": 20}
    looks_like_host(page, data)


def test_a_host_change_reaches_a_running_handler(app_page) -> None:
    page, data = app_page
    looks_like_host(page, data)  # top.txt is cached
    page.locator("#out").evaluate("el => el.textContent = ''")
    page.click("#poll")
    deadline = time.monotonic() + 30
    while not (data / "polling").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # the handler has been reading from its cache for a while
    (data / "top.txt").write_text("TOP!")
    expect(page.locator("#out")).to_have_text("top -> TOP!", timeout=30_000)


OVERLAP_APP = r'''
import json, os
from pyshell import dom

def main():
    dom.select("#out").text = "ready"

def look():
    return {p: [os.stat(p).st_size, open(p).read(), sorted(os.listdir(os.path.dirname(p)))]
            for p in ("/docs/notes/x.txt", "/notes/x.txt")}

@dom.on("click", "#both")
def both(event):
    missing = os.path.exists("/notes/fresh.txt")  # remembered as missing by that grant
    with open("/docs/notes/fresh.txt", "w") as f:  # and made through the other
        f.write("fresh")
    made = os.path.exists("/notes/fresh.txt")
    os.unlink("/docs/notes/fresh.txt")
    seen = [look()]  # fills both grants' caches
    with open("/docs/notes/x.txt", "w") as f:  # through the outer grant
        f.write("changed through docs")
    with open("/docs/notes/new.txt", "w") as f:
        f.write("n")
    seen.append(look())
    with open("/notes/x.txt", "a") as f:  # through the inner one
        f.write("+inner")
    os.unlink("/notes/new.txt")
    seen.append(look())
    dom.select("#out").text = json.dumps({"seen": seen, "fresh": [missing, made]})
'''


@pytest.mark.parametrize("fast_path", [True, False], ids=["shared-memory", "xhr"])
def test_two_grants_of_one_folder_see_each_others_changes_at_once(
        tmp_path: Path, pyshell_browser, fast_path: bool) -> None:
    """A folder granted twice (~/Documents at /docs, ~/Documents/notes at /notes): a change
    through either grant is what the other reads next, attributes, listing and content."""
    docs = tmp_path / "Documents"
    (docs / "notes").mkdir(parents=True)
    (docs / "notes" / "x.txt").write_text("original")
    app = write_app(tmp_path / "app", OVERLAP_APP, grant_toml(docs, "/docs", "rw")
                    + grant_toml(docs / "notes", "/notes", "rw"))
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["both"],
                          fast_path=fast_path) as (page, _):
        page.click("#both")
        expect(page.locator("#out")).not_to_have_text("ready", timeout=30_000)
        found = json.loads(page.locator("#out").inner_text())
    assert found["fresh"] == [False, True]
    seen = found["seen"]
    expected = [[8, "original", ["x.txt"]], [20, "changed through docs", ["new.txt", "x.txt"]],
                [26, "changed through docs+inner", ["x.txt"]]]
    assert [[step["/docs/notes/x.txt"], step["/notes/x.txt"]] for step in seen] == [
        [e, e] for e in expected]
    assert (docs / "notes" / "x.txt").read_text() == "changed through docs+inner"
