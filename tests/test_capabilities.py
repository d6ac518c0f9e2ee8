"""Grants hold: hostile paths and operation sequences never reach outside, on the host
service directly and through the live server. Read-only grants are never written.

Every test that reaches files runs twice: with the descriptor containment (openat-style,
what this host uses) and the portable one (checked paths, what Windows uses), forced here
with ``PYSHELL_CONTAINMENT``."""

from __future__ import annotations

import errno
import http.client
import json
import os
import stat
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.apps import grant_toml, write_app
from pyshell import capabilities, containment
from pyshell.capabilities import AccessDenied, Grant
from pyshell.fileservice import FileService

STRATEGIES = ["descriptor", "portable"]

SECRET = b"TOPSECRET-outside-the-grant"
SEGMENTS = ["..", ".", "", "link_out", "link_file", "link_in", "secret.txt", "outside", "inner",
            "a", "b.txt", "\0", "x" * 300, "．．", "..\\..", "%2e%2e", "/", "/etc", "ｃon",
            "e\u0301", "é", "inner/..", "con", "a.pyshell-tmp", "~"]


def snapshot(folder: Path) -> dict[str, tuple]:
    out = {}
    for path in sorted(folder.rglob("*")):
        st_ = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        out[str(path.relative_to(folder))] = (st_.st_mode, st_.st_mtime_ns, data)
    return out


@pytest.fixture(params=STRATEGIES)
def strategy(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """The containment every FileService made in the test uses."""
    monkeypatch.setenv(containment.ENV, request.param)
    return request.param


@pytest.fixture
def world(tmp_path: Path, strategy: str) -> tuple[FileService, Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "grant"
    (root / "inner").mkdir(parents=True)
    (root / "inner" / "a").write_text("inside")
    (root / "link_out").symlink_to(outside)
    (root / "link_file").symlink_to(outside / "secret.txt")
    (root / "link_in").symlink_to(root / "inner")
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "keep.txt").write_text("read me")
    service = FileService([Grant("g0", "/data", root, True), Grant("g1", "/ro", ro, False)])
    return service, outside, ro


def test_plain_operations_work(world) -> None:
    fs, _, _ = world
    assert fs.stat("g0", "inner/a")["size"] == 6
    assert [name for name, _ in fs.listdir("g0", "inner")["entries"]] == ["a"]
    opened = fs.open("g0", "inner/a", inline=True)
    assert opened["data"] == b"inside"


@pytest.mark.parametrize("path", ["../outside/secret.txt", "link_out/secret.txt", "link_file",
                                  "link_in/a", "inner/../../outside/secret.txt", "a\0b",
                                  "x" * 300, "inner/" + "y" * 256])
def test_escapes_are_refused(world, path: str) -> None:
    fs, _, _ = world
    for call in (lambda: fs.stat("g0", path), lambda: fs.open("g0", path),
                 lambda: fs.listdir("g0", path), lambda: fs.open("g0", path, write=True,
                                                                   create=True, trunc=True)):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno in (errno.EACCES, errno.ENAMETOOLONG, errno.ENOENT,
                                    errno.ENOTDIR), info.value


def test_symlinks_are_hidden_from_listings(world) -> None:
    fs, _, _ = world
    assert sorted(name for name, _ in fs.listdir("g0", "")["entries"]) == ["inner"]


def test_read_only_grant_refuses_every_change(world) -> None:
    fs, _, ro = world
    before = snapshot(ro)
    attempts = [
        lambda: fs.open("g1", "keep.txt", write=True, trunc=True),
        lambda: fs.open("g1", "keep.txt", trunc=True),
        lambda: fs.open("g1", "keep.txt", write=True),
        lambda: fs.open("g1", "new.txt", write=True, create=True),
        lambda: fs.mkdir("g1", "d"),
        lambda: fs.unlink("g1", "keep.txt"),
        lambda: fs.rmdir("g1", "keep.txt"),
        lambda: fs.rename("g1", "keep.txt", "g1", "moved.txt"),
        lambda: fs.rename("g0", "inner/a", "g1", "stolen.txt"),
        lambda: fs.setattr("g1", "keep.txt", mode=0o777),
        lambda: fs.setattr("g1", "keep.txt", size=0),
        lambda: fs.setattr("g1", "keep.txt", mtime=[1000, 0]),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied):
            attempt()
    assert snapshot(ro) == before
    assert fs.open("g1", "keep.txt", inline=True)["data"] == b"read me"


def test_unknown_grant_and_root_changes_are_refused(world) -> None:
    fs, _, _ = world
    with pytest.raises(AccessDenied):
        fs.stat("g9", "x")
    for attempt in (lambda: fs.rmdir("g0", ""), lambda: fs.unlink("g0", "/"),
                    lambda: fs.rename("g0", "", "g0", "x"),
                    lambda: fs.setattr("g0", "", mode=0o777),
                    lambda: fs.setattr("g0", "/", mtime=[0, 0])):
        with pytest.raises(OSError) as info:
            attempt()
        assert info.value.errno == errno.EPERM


def test_writes_reach_the_host_at_once_and_survive_shutdown(world, tmp_path: Path) -> None:
    fs, _, _ = world
    target = tmp_path / "grant" / "inner" / "new"
    h = fs.open("g0", "inner/new", write=True, create=True, excl=True, mode=0o600)["handle"]
    assert target.exists() and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert fs.write(h, 0, b"new content")["size"] == 11
    assert target.read_bytes() == b"new content"  # before any fsync or close
    fs.fsync(h, data_only=True)
    fs.close_all()  # shutdown: nothing written is dropped
    assert target.read_bytes() == b"new content"
    fs = FileService(fs.grants())
    h = fs.open("g0", "inner/new", write=True, trunc=True)["handle"]
    assert target.read_bytes() == b""
    fs.close(h)


def test_modes_and_times_are_bounded_and_exact(world, tmp_path: Path) -> None:
    fs, _, _ = world
    target = tmp_path / "grant" / "inner" / "a"
    after = fs.setattr("g0", "inner/a", mode=0o4755, atime=[1, 2], mtime=[3, 456_789_123])
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 == stat.S_IMODE(after["mode"])
    assert target.stat().st_mtime_ns == 3_456_789_123 and after["mtime"] == [3, 456_789_123]
    with pytest.raises(OSError) as info:
        fs.setattr("g0", "inner/a", mtime=[0, 2_000_000_000])
    assert info.value.errno == errno.EINVAL


def test_special_files_are_refused_without_blocking(world, tmp_path: Path) -> None:
    fs, _, _ = world
    os.mkfifo(tmp_path / "grant" / "inner" / "pipe")
    for attempt in (lambda: fs.open("g0", "inner/pipe"),
                    lambda: fs.open("g0", "inner/pipe", write=True),
                    lambda: fs.setattr("g0", "inner/pipe", mode=0o600)):
        with pytest.raises(AccessDenied):
            attempt()
    assert [name for name, _ in fs.listdir("g0", "inner")["entries"]] == ["a"]


def test_single_file_grant_reaches_only_its_file(tmp_path: Path, strategy: str) -> None:
    folder = tmp_path / "picked"
    folder.mkdir()
    (folder / "doc.txt").write_text("doc")
    (folder / "other.txt").write_text("other")
    before = folder.stat()
    fs = FileService([Grant("p1", "/picked", folder, True, only="doc.txt")])
    assert fs.stat("p1", "")["ino"] == 0  # the folder around it stays unknown
    assert [name for name, _ in fs.listdir("p1", "")["entries"]] == ["doc.txt"]
    for attempt in (lambda: fs.setattr("p1", "", mode=0o777),
                    lambda: fs.setattr("p1", "", mtime=[0, 0]),
                    lambda: fs.stat("p1", "other.txt"),
                    lambda: fs.open("p1", "other.txt")):
        with pytest.raises(OSError):
            attempt()
    assert folder.stat().st_mode == before.st_mode
    assert folder.stat().st_mtime_ns == before.st_mtime_ns


def test_mount_points_are_checked() -> None:
    assert capabilities.check_mount("/data") == "/data"
    for bad in ("data", "/", "/lib/x", "/home/pyodide", "/tmp", "/data/../lib", "/data/"):
        with pytest.raises(ValueError):
            capabilities.check_mount(bad)


def test_the_page_gets_the_host_path_as_display_text_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyshell import files

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    journal = tmp_path / "home" / "Documents" / "Journal"
    assert capabilities.display_path(journal) == "~/Documents/Journal"
    assert capabilities.display_path(tmp_path / "home") == "~"
    assert capabilities.display_path(tmp_path / "srv") == str(tmp_path / "srv")
    grant = Grant("g1", "/data", journal, True)
    assert grant.public()["hostPath"] == "~/Documents/Journal"

    mounted = [files.GrantInfo("/data", True, None, host_path="~/Documents/Journal"),
               files.GrantInfo("/data/sub", True, None, host_path="/mnt/elsewhere"),
               files.GrantInfo("/picked/1", False, "a.txt", host_path="C:\\Users\\me"),
               files.GrantInfo("/store", True, None, storage="browser")]
    assert files._host_path_in(mounted, "/data/out/export.html") == \
        "~/Documents/Journal/out/export.html"
    assert files._host_path_in(mounted, "/data") == "~/Documents/Journal"
    assert files._host_path_in(mounted, "/data/sub/x") == "/mnt/elsewhere/x"  # the nearest
    assert files._host_path_in(mounted, "/picked/1/a.txt") == "C:\\Users\\me\\a.txt"
    assert files._host_path_in(mounted, "/data/../etc/passwd") is None
    assert files._host_path_in(mounted, "/database") is None
    assert files._host_path_in(mounted, "/store/x") is None  # browser storage: no host path


operation = st.sampled_from(["stat", "listdir", "read", "write", "append", "mkdir", "unlink",
                             "rmdir", "rename", "chmod", "truncate"])
hostile_path = st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=5).map("/".join) | \
    st.text(max_size=40)


def run_op(fs: FileService, op: str, grant: str, path: str, other: str) -> bytes:
    """One operation; returns any bytes it read (which must never be the secret)."""
    if op == "stat":
        return json.dumps(fs.stat(grant, path)).encode()
    if op == "listdir":
        return json.dumps(fs.listdir(grant, path)).encode()
    if op == "read":
        opened = fs.open(grant, path, inline=True)
        data = opened.get("data") or b""
        if opened["handle"] is not None:
            data = fs.read(opened["handle"], 0, 1 << 20)
            fs.close(opened["handle"])
        return data
    if op in ("write", "append"):
        h = fs.open(grant, path, write=True, create=True, trunc=op == "write")["handle"]
        fs.write(h, 0, b"written")
        fs.close(h)
    elif op == "mkdir":
        fs.mkdir(grant, path)
    elif op == "unlink":
        fs.unlink(grant, path)
    elif op == "rmdir":
        fs.rmdir(grant, path)
    elif op == "rename":
        fs.rename(grant, path, grant, other)
    elif op == "chmod":
        fs.setattr(grant, path, mode=0o777)
    elif op == "truncate":
        fs.setattr(grant, path, size=0)
    return b""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(operation, st.sampled_from(["g0", "g1", "g7"]), hostile_path,
                                hostile_path), min_size=1, max_size=6))
def test_hostile_sequences_never_leave_the_grants(world, tmp_path: Path, steps) -> None:
    fs, outside, ro = world
    before_outside, before_ro = snapshot(outside), snapshot(ro)
    for op, grant, path, other in steps:
        try:
            data = run_op(fs, op, grant, path, other)
        except (OSError, ValueError):
            continue
        assert SECRET not in data
    assert snapshot(outside) == before_outside
    assert snapshot(ro) == before_ro
    assert (tmp_path / "outside" / "secret.txt").read_bytes() == SECRET


@pytest.fixture
def live(world, tmp_path: Path, pyshell_folders):
    """The same grants behind the real app server, reached with raw HTTP like an attacker."""
    from pyshell import config
    from pyshell.testing import app_server

    app = write_app(tmp_path / "app", extra_toml=grant_toml(tmp_path / "grant", "/data", "rw")
                    + grant_toml(world[2], "/ro", "ro"))
    server = app_server(config.load(app), pyshell_folders)
    with server:
        yield server


def fs_request(server, op: str, args: dict, body: bytes = b"") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", f"/_pyshell/api/fs?op={op}", body=body, headers={
        "Host": f"127.0.0.1:{server.port}", **server.credentials(),
        "x-pyshell-fs": quote(json.dumps(args))})
    response = conn.getresponse()
    data = response.read()
    header = response.getheader("x-pyshell-fs")
    if response.status != 200:
        meta = {}
    else:
        meta = json.loads(header if header is not None else data)
    conn.close()
    return response.status, meta, data


def test_live_server_refuses_escapes(live, world) -> None:
    _, outside, _ = world
    for op, args in [("stat", {"g": "g0", "p": "../outside/secret.txt"}),
                     ("open", {"g": "g0", "p": "link_file"}),
                     ("listdir", {"g": "g0", "p": "link_out"}),
                     ("open", {"g": "g1", "p": "keep.txt", "write": True}),
                     ("open", {"g": "g5", "p": "x"}),
                     ("rename", {"g": "g0", "p": "inner/a", "g2": "g1", "p2": "x"})]:
        status, meta, data = fs_request(live, op, args)
        assert status == 200 and meta.get("error") == "EACCES", (op, args, meta)
        assert SECRET not in data
    status, meta, _ = fs_request(live, "open", {"g": "g0", "p": "inner/a", "inline": True})
    assert meta["ok"]["handle"] is None


def test_live_server_needs_the_token(live) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    conn.request("POST", "/_pyshell/api/fs?op=stat", headers={
        "Host": f"127.0.0.1:{live.port}", "x-pyshell-fs": quote('{"g":"g0","p":"inner/a"}')})
    response = conn.getresponse()
    assert response.status in (401, 403) and b"inside" not in response.read()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(["stat", "listdir", "open", "mkdir", "unlink", "rmdir", "setattr",
                           "rename", "read", "write", "close"]),
       args=st.fixed_dictionaries({"g": st.sampled_from(["g0", "g1", "", "../g0"]),
                                   "p": hostile_path, "p2": hostile_path,
                                   "g2": st.sampled_from(["g0", "g1"])},
                                  optional={"write": st.booleans(), "trunc": st.booleans(),
                                            "create": st.booleans(), "mode": st.integers(0, 4095),
                                            "size": st.integers(0, 10),
                                            "h": st.integers(-1, 5), "offset": st.integers(0, 9),
                                            "length": st.integers(0, 99)}))
def test_live_server_hostile_requests(live, world, op, args) -> None:
    _, outside, ro = world
    before_outside, before_ro = snapshot(outside), snapshot(ro)
    status, _, data = fs_request(live, op, args, b"evil")
    assert status in (200, 400)
    assert SECRET not in data
    assert snapshot(outside) == before_outside and snapshot(ro) == before_ro


def test_read_only_handles_change_nothing(world) -> None:
    fs, _, ro = world
    before = snapshot(ro)
    h = fs.open("g1", "keep.txt")["handle"]  # not inline: a handle, as for a big file
    for attempt in (lambda: fs.fsetattr(h, mode=0o777), lambda: fs.fsetattr(h, mtime=[0, 0]),
                    lambda: fs.write(h, 0, b"x"), lambda: fs.truncate_handle(h, 0)):
        with pytest.raises(OSError):
            attempt()
    fs.close(h)
    assert snapshot(ro) == before


def test_appends_land_at_the_host_end(world, tmp_path: Path) -> None:
    fs, _, _ = world
    target = tmp_path / "grant" / "inner" / "log"
    h = fs.open("g0", "inner/log", write=True, create=True, append=True)["handle"]
    fs.write(h, 0, b"mine 1\n")
    with open(target, "ab") as other:  # another process appends meanwhile
        other.write(b"theirs\n")
    fs.write(h, 7, b"mine 2\n")  # the offset it believes is the end
    fs.close(h)
    assert target.read_bytes() == b"mine 1\ntheirs\nmine 2\n"


# ---- the two containments ------------------------------------------------------------------
def test_each_strategy_is_the_one_asked_for(world, strategy: str) -> None:
    """The parametrization really tests two implementations, not one twice."""
    fs, _, _ = world
    assert fs.containment == strategy
    expected = containment.PathPlace if strategy == "portable" else containment.DescriptorPlace
    assert fs.place is expected
    portable = strategy == "portable"
    assert (fs.changes is None) == portable  # paths: nothing is watched, nothing cached
    assert fs.stat("g0", "inner/a")["w"] is not portable
    assert fs.listdir("g0", "inner")["w"] is not portable


def test_auto_uses_descriptors_on_this_linux_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(containment.ENV, raising=False)
    assert containment.descriptors_work()
    assert containment.choose() is containment.DescriptorPlace
    assert FileService([]).containment == "descriptor"
    for value in ("auto", " Auto ", ""):
        monkeypatch.setenv(containment.ENV, value)
        assert containment.choose() is containment.DescriptorPlace
    monkeypatch.setenv(containment.ENV, "windows")
    with pytest.raises(ValueError, match=containment.ENV):
        FileService([])


def test_a_host_without_openat_gets_the_portable_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chosen by what the host offers (as on Windows), never by the system's name."""
    monkeypatch.delattr(os, "O_NOFOLLOW")
    monkeypatch.setattr(os, "supports_dir_fd", set())
    assert not containment.descriptors_work()
    assert containment.choose("auto") is containment.PathPlace
    with pytest.raises(ValueError):
        containment.choose("descriptor")


FORBIDDEN = ("dir_fd", "src_dir_fd", "dst_dir_fd")


def _no_descriptor_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every openat-style use fail, as it would on Windows; returns the calls made."""
    calls: list[str] = []

    def guarded(name: str, real):
        def call(*args, **kwargs):
            calls.append(name)
            assert not any(kwargs.get(k) is not None for k in FORBIDDEN), (name, kwargs)
            assert kwargs.get("follow_symlinks", True), (name, kwargs)
            assert not (args and isinstance(args[0], str) and args[0].startswith("/proc/")), args
            if name == "open":
                assert not args[1] & os.O_NOFOLLOW, args
            if name == "scandir":
                assert isinstance(args[0], str), args  # Windows lists folders by path only
            return real(*args, **kwargs)
        return call

    for name in ("open", "stat", "lstat", "mkdir", "rmdir", "unlink", "rename", "replace",
                 "utime", "chmod", "scandir"):
        monkeypatch.setattr(os, name, guarded(name, getattr(os, name)))
    return calls


def test_portable_works_without_any_descriptor_relative_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(containment.ENV, "portable")
    root = tmp_path / "grant"
    root.mkdir()
    fs = FileService([Grant("g0", "/data", root, True)])
    calls = _no_descriptor_calls(monkeypatch)
    fs.mkdir("g0", "d", 0o755)
    h = fs.open("g0", "d/f", write=True, create=True, excl=True, mode=0o600)["handle"]
    fs.write(h, 0, b"hello")
    fs.close(h)
    assert fs.open("g0", "d/f", inline=True)["data"] == b"hello"
    assert [n for n, _ in fs.listdir("g0", "d")["entries"]] == ["f"]
    fs.setattr("g0", "d/f", mode=0o640, mtime=[5, 6], size=2)
    fs.fsyncdir("g0", "d")
    fs.rename("g0", "d/f", "g0", "d/g")
    assert fs.stat("g0", "d/g")["size"] == 2 and fs.stat("g0", "d/g")["mtime"] == [5, 6]
    assert stat.S_IMODE(fs.stat("g0", "d/g")["mode"]) == 0o640
    fs.setattr("g0", "d", mode=0o700, mtime=[7, 8])
    assert fs.stat("g0", "d")["mtime"] == [7, 8]
    fs.unlink("g0", "d/g")
    fs.rmdir("g0", "d")
    assert {"open", "lstat", "scandir", "replace"} <= set(calls)
    monkeypatch.undo()
    assert list(root.iterdir()) == []


def test_windows_links_are_recognised() -> None:
    """Junctions and symlinks (name surrogates) are links; a cloud placeholder is not."""
    from types import SimpleNamespace

    reparse = stat.FILE_ATTRIBUTE_REPARSE_POINT | stat.FILE_ATTRIBUTE_DIRECTORY

    def entry(attributes: int, tag: int) -> os.stat_result:
        return SimpleNamespace(st_mode=stat.S_IFDIR | 0o755, st_file_attributes=attributes,
                               st_reparse_tag=tag)  # type: ignore[return-value]

    assert containment.is_link(entry(reparse, 0xA0000003))  # junction (mount point)
    assert containment.is_link(entry(reparse, 0xA000000C))  # symbolic link
    assert containment.is_link(entry(reparse, 0))  # a reparse point of unknown kind
    assert not containment.is_link(entry(reparse, 0x9000001A))  # OneDrive placeholder
    assert not containment.is_link(entry(stat.FILE_ATTRIBUTE_DIRECTORY, 0))
    assert not containment.listable(entry(reparse, 0xA0000003))
    with pytest.raises(AccessDenied):
        containment.check_plain(entry(reparse, 0xA0000003))


# A folder (or file) of the path swapped for a link out by another process, at any moment
# of a call. Content is never read from or written to outside with either containment. By
# name, the portable one can act outside (see containment.PathPlace): then the call must
# at least fail with EACCES; the descriptor one never does.
BY_NAME = {"mkdir", "unlink", "rename", "create"}
RACED = ("stat", "listdir", "read", "write", "chmod", "truncate", "utime", *sorted(BY_NAME))
HOOKED = ("open", "stat", "lstat", "scandir", "mkdir", "unlink", "rename", "replace", "utime",
          "chmod", "rmdir")


def _raced_op(fs: FileService, op: str) -> bytes:
    calls = {
        "stat": lambda: json.dumps(fs.stat("g0", "inner/a")).encode(),
        "listdir": lambda: json.dumps(fs.listdir("g0", "inner")).encode(),
        "read": lambda: run_op(fs, "read", "g0", "inner/a", ""),
        "write": lambda: run_op(fs, "append", "g0", "inner/a", ""),
        "chmod": lambda: run_op(fs, "chmod", "g0", "inner/a", ""),
        "truncate": lambda: run_op(fs, "truncate", "g0", "inner/a", ""),
        "utime": lambda: json.dumps(fs.setattr("g0", "inner/a", mtime=[1, 0])).encode(),
        "mkdir": lambda: run_op(fs, "mkdir", "g0", "inner/new", ""),
        "unlink": lambda: run_op(fs, "unlink", "g0", "inner/a", ""),
        "rename": lambda: run_op(fs, "rename", "g0", "inner/a", "inner/c"),
        "create": lambda: run_op(fs, "write", "g0", "inner/new.txt", ""),
    }
    return calls[op]()


# What is swapped, and for a link to what outside: a folder on the way, the file itself,
# the file for a dangling link, a dangling link at a name being created (an open with
# O_CREAT through either would make a file outside).
SWAPS = [("inner", ""), ("inner/a", "a"), ("inner/a", "ghost"), ("inner/new.txt", "ghost")]


class Swapper:
    """Replaces ``os`` calls so that the ``at``-th one first swaps ``target`` (under the
    grant) for a symlink to ``link_to`` (under ``outside``)."""

    def __init__(self, root: Path, outside: Path, swap: tuple[str, str], at: int) -> None:
        self.real = {name: getattr(os, name) for name in HOOKED}
        self.root, self.outside, self.at, self.count = root, outside, at, 0
        self.target, self.link_to = swap

    def swap(self) -> None:
        here = self.root / self.target
        if here.exists():
            self.real["rename"](here, here.with_name(here.name + "-real"))
        os.symlink(self.outside / self.link_to, here)

    def __enter__(self) -> Swapper:
        for name in HOOKED:
            setattr(os, name, self._hook(self.real[name]))
        return self

    def _hook(self, real):
        def call(*args, **kwargs):
            self.count += 1
            if self.count == self.at:
                self.swap()
            return real(*args, **kwargs)
        return call

    def __exit__(self, *exc: object) -> None:
        for name, real in self.real.items():
            setattr(os, name, real)


def _race(base: Path, op: str, swap: tuple[str, str],
          at: int) -> tuple[OSError | None, bool, int]:
    """One call of ``op`` with a swap before the ``at``-th os call (0: none): the error,
    whether anything outside changed, and how many os calls it made."""
    outside, root = base / "outside", base / "grant"
    (root / "inner").mkdir(parents=True)
    outside.mkdir()
    (root / "inner" / "a").write_bytes(b"inside")
    (outside / "a").write_bytes(SECRET)
    (outside / "secret.txt").write_bytes(SECRET)
    fs = FileService([Grant("g0", "/data", root, True)])
    before = snapshot(outside)
    error = None
    try:
        with Swapper(root, outside, swap, at) as swapper:
            data = _raced_op(fs, op)
        assert SECRET not in data and b"secret.txt" not in data, (op, swap, at)
    except OSError as exc:
        error = exc
    finally:
        fs.close_all()
    return error, snapshot(outside) != before, swapper.count


def test_a_swap_before_any_os_call_gives_nothing_away(tmp_path: Path, strategy: str) -> None:
    """Every operation, with the swap placed before each of its os calls in turn."""
    runs = 0
    for op in RACED:
        for number, swap in enumerate(SWAPS):
            error, _, calls = _race(tmp_path / f"{op}-{number}-0", op, swap, 0)
            assert error is None, (op, error)
            for at in range(1, calls + 1):
                error, changed, _ = _race(tmp_path / f"{op}-{number}-{at}", op, swap, at)
                runs += 1
                if changed:  # only the portable one, by name, and never silently
                    assert strategy == "portable" and op in BY_NAME and swap == SWAPS[0], (
                        op, swap, at)
                    assert error is not None and error.errno == errno.EACCES, (op, at, error)
    assert runs >= 100  # a swap before each os call of every operation


def test_both_containments_give_the_same_errors(world, tmp_path: Path) -> None:
    """What the app's Python sees (its errno) does not depend on the containment."""
    fs, _, _ = world
    os.mkfifo(tmp_path / "grant" / "inner" / "pipe")
    fs2 = FileService([*fs.grants(), Grant("g2", "/other", tmp_path / "outside", True)])
    cases = [
        (errno.EACCES, lambda: fs.stat("g0", "link_out/secret.txt")),
        (errno.EACCES, lambda: fs.stat("g0", "link_file")),
        (errno.EACCES, lambda: fs.open("g0", "link_file")),
        (errno.EACCES, lambda: fs.open("g0", "link_file", write=True, create=True, excl=True)),
        (errno.EACCES, lambda: fs.listdir("g0", "link_out")),
        (errno.EACCES, lambda: fs.mkdir("g0", "link_out/x")),
        (errno.EACCES, lambda: fs.setattr("g0", "link_file", mode=0o600)),
        (errno.EACCES, lambda: fs.open("g0", "inner/pipe")),
        (errno.EACCES, lambda: fs.open("g0", "inner/pipe", write=True)),
        (errno.ENOENT, lambda: fs.stat("g0", "missing")),
        (errno.ENOENT, lambda: fs.open("g0", "missing/x", write=True, create=True)),
        (errno.ENOENT, lambda: fs.open("g0", "inner/missing")),
        (errno.ENOENT, lambda: fs.unlink("g0", "inner/missing")),
        (errno.ENOTDIR, lambda: fs.stat("g0", "inner/a/x")),
        (errno.ENOTDIR, lambda: fs.listdir("g0", "inner/a")),
        (errno.ENOTDIR, lambda: fs.listdir("g0", "inner/pipe")),
        (errno.ENOTDIR, lambda: fs.fsyncdir("g0", "inner/a")),
        (errno.ENOTDIR, lambda: fs.open("g0", "inner/a/b", write=True, create=True)),
        (errno.EISDIR, lambda: fs.open("g0", "inner")),
        (errno.EISDIR, lambda: fs.open("g0", "inner", write=True)),
        (errno.EISDIR, lambda: fs.unlink("g0", "inner")),
        (errno.EISDIR, lambda: fs.setattr("g0", "inner", size=0)),
        (errno.EEXIST, lambda: fs.mkdir("g0", "inner")),
        (errno.EEXIST, lambda: fs.open("g0", "inner/a", write=True, create=True, excl=True)),
        (errno.ENOTEMPTY, lambda: fs.rmdir("g0", "inner")),
        (errno.EPERM, lambda: fs.rmdir("g0", "")),
        (errno.EPERM, lambda: fs.setattr("g0", "", mode=0o777)),
        (errno.EXDEV, lambda: fs2.rename("g0", "inner/a", "g2", "a")),
        (errno.EINVAL, lambda: fs.rename("g0", "inner", "g0", "inner/deeper")),
    ]
    for expected, call in cases:
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == expected, (expected, info.value)
    fs2.close_all()
