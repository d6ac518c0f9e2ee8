"""The host's change feed (changes.py): what the worker's file cache is told to forget."""

from __future__ import annotations

import os
import queue
from pathlib import Path

import pytest

from pyshell import changes
from pyshell.capabilities import Grant

pytestmark = pytest.mark.skipif(not changes.start(lambda g: None), reason="needs inotify")


@pytest.fixture
def feed(tmp_path: Path):
    grants = {"g": Grant("g", "/data", tmp_path, True),
              "one": Grant("one", "/picked", tmp_path, True, only="picked.txt")}
    feed = changes.start(grants.get)
    assert feed is not None
    heard: queue.Queue[list[str]] = queue.Queue()
    feed.subscribe(lambda records: [heard.put(r) for r in records])
    yield feed, grants, heard
    feed.close()
    feed.close()  # a server stopped twice closes its feed twice: nothing happens


def watch(feed, grant: Grant, path: Path, parts: list[str]) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert feed.watch(grant, parts, fd)
    finally:
        os.close(fd)


def records(feed, heard) -> set[tuple[str, ...]]:
    feed.settle()
    found = set()
    while not heard.empty():
        found.add(tuple(heard.get()))
    return found


def test_names_and_contents_in_a_watched_folder(feed, tmp_path: Path) -> None:
    feed, grants, heard = feed
    (tmp_path / "sub").mkdir()
    watch(feed, grants["g"], tmp_path / "sub", ["sub"])
    (tmp_path / "sub" / "new.txt").write_text("x")
    assert ("n", "g", "sub/new.txt") in records(feed, heard)
    with open(tmp_path / "sub" / "new.txt", "a") as f:
        f.write("more")
    assert ("a", "g", "sub/new.txt") in records(feed, heard)
    os.rename(tmp_path / "sub" / "new.txt", tmp_path / "sub" / "moved.txt")
    assert {("n", "g", "sub/new.txt"), ("n", "g", "sub/moved.txt")} <= records(feed, heard)


def test_a_hard_link_made_elsewhere_reaches_the_files_own_watch(feed, tmp_path: Path) -> None:
    feed, grants, heard = feed
    (tmp_path / "a.txt").write_text("a")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert feed.watch(grants["g"], [], fd)
        assert feed.watch_file(grants["g"], ["a.txt"], fd)
    finally:
        os.close(fd)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    os.link(tmp_path / "a.txt", elsewhere / "link.txt")  # the link count of a.txt changes
    assert ("a", "g", "a.txt") in records(feed, heard)
    (elsewhere / "link.txt").write_text("written through the other name")
    assert ("a", "g", "a.txt") in records(feed, heard)


def test_a_moved_away_folder_is_forgotten_whole(feed, tmp_path: Path) -> None:
    feed, grants, heard = feed
    (tmp_path / "docs").mkdir()
    watch(feed, grants["g"], tmp_path / "docs", ["docs"])
    os.rename(tmp_path / "docs", tmp_path / "archive")
    found = records(feed, heard)
    assert ("n", "g", "docs") in found  # its own watch: everything under it goes
    (tmp_path / "archive" / "late.txt").write_text("x")  # its watch is gone with its name
    assert ("n", "g", "docs/late.txt") not in records(feed, heard)


def test_a_picked_files_folder_says_nothing_of_other_files(feed, tmp_path: Path) -> None:
    feed, grants, heard = feed
    watch(feed, grants["one"], tmp_path, [])
    (tmp_path / "secret-neighbour.txt").write_text("x")
    (tmp_path / "picked.txt").write_text("x")
    found = records(feed, heard)
    assert ("n", "one", "picked.txt") in found
    assert not any(r[1] == "one" and "secret" in r[2] for r in found)
