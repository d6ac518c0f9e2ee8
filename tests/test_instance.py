"""Single instance: a second launch of an app hands its files and URLs to the running copy
and exits 0; the lock survives kill -9; ``single-instance = false`` runs copies side by side.

Real `pyshell run` processes with their real lock and socket. They run with --browser and
a stand-in browser command that writes down the single-use link it was given; the test
opens that link in Chromium, so the app's Python (real Pyodide) hears on_open."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import PYSHELL, assert_one_line_error, read_until, run_cli
from kit.waits import wait_until
from pyshell import config, instance
from pyshell.errors import PyshellError

ON_OPEN = r'''
import json, os
from pyshell import app, dom

def sibling(path):
    try:
        return open(os.path.join(os.path.dirname(path), "secret.txt")).read()
    except OSError as exc:
        return type(exc).__name__

def writable(path):
    try:
        open(path, "a").close()
        return "rw"
    except OSError as exc:
        return type(exc).__name__

@app.on_open
def opened(paths, urls):
    texts = [open(p).read() for p in paths]
    dom.select("#out").text = json.dumps({"paths": paths, "urls": urls, "texts": texts,
                                          "sibling": [sibling(p) for p in paths],
                                          "writable": [writable(p) for p in paths]})

def main():
    dom.select("#out").text = "started"
'''


# ---- the parts -------------------------------------------------------------------------------
def test_arguments_become_absolute_paths_and_urls(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "d").mkdir()
    launch = instance.arguments(["notes.txt", f"file://{tmp_path}/d", "myapp://item/7",
                                 "https://example.com/a?b=1"], cwd=tmp_path)
    assert launch.paths == (str(tmp_path / "notes.txt"), str(tmp_path / "d"))
    assert launch.urls == ("myapp://item/7", "https://example.com/a?b=1")
    assert instance.Launch.decode(launch.encode()) == launch
    with pytest.raises(PyshellError, match="missing.txt: no such file or folder"):
        instance.arguments(["missing.txt"], cwd=tmp_path)


def test_the_lock_folder_must_be_private_and_ours(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    instance.check_private(folder, os.getuid())
    with pytest.raises(PyshellError, match="belongs to another user"):
        instance.check_private(folder, os.getuid() + 1)
    folder.chmod(0o755)
    with pytest.raises(PyshellError, match=r"open to other users \(mode 755\); chmod 700 it"):
        instance.check_private(folder, os.getuid())


def test_the_folder_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    made = instance.folder()
    assert made == tmp_path / "pyshell"
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_the_key_is_the_app_and_its_folder(tmp_path: Path) -> None:
    one = config.load(write_app(tmp_path / "one", name="my app"))
    two = config.load(write_app(tmp_path / "two", name="my app"))
    assert instance.key(one).startswith("my_app-")
    assert instance.key(one) != instance.key(two)
    assert one.single_instance
    off = config.load(write_app(tmp_path / "off", extra_toml="single-instance = false\n"))
    assert not off.single_instance


def test_a_bad_value_is_one_line(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", extra_toml='single-instance = "no"\n')
    assert_one_line_error(run_cli("run", str(app)), "single-instance must be true or false")


def test_the_socket_is_heard_even_in_a_deep_folder(tmp_path: Path) -> None:
    """The listener checks SO_PEERCRED; here the peer is this user, so it is heard, and the
    uid the kernel reports is ours (the refusal itself needs a second user). The folder is
    deeper than an AF_UNIX address may be long."""
    tmp_path = tmp_path / ("deep" * 30)
    tmp_path.mkdir()
    transport = instance.UnixTransport(tmp_path, "k")
    assert transport.claim()
    heard: list[bytes] = []
    transport.serve(heard.append)
    assert not instance.UnixTransport(tmp_path, "k").claim()  # the lock is held
    assert instance.UnixTransport(tmp_path, "k").send(b'{"paths": [], "urls": []}') == b"ok\n"
    assert heard == [b'{"paths": [], "urls": []}']
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(transport._address())
        from pyshell.peercred import unix_peer_uid

        assert unix_peer_uid(conn) == os.getuid()
    transport.close()
    assert list(tmp_path.iterdir()) == []  # an app that ends normally leaves nothing behind


def test_a_lock_file_removed_before_it_was_locked_is_not_trusted(tmp_path: Path) -> None:
    """A launch opened the lock file just as its owner ended and removed it: the lock it
    then gets is on a file nobody else can find, so it takes a new one."""
    first = instance.UnixTransport(tmp_path, "k")
    assert first.claim()
    stale = os.open(tmp_path / "k.lock", os.O_RDWR)  # opened before the owner ends
    first.close()
    second = instance.UnixTransport(tmp_path, "k")
    assert not second._still_named(stale)
    assert second.claim()
    assert os.fstat(second._lock_fd or -1).st_ino == (tmp_path / "k.lock").stat().st_ino
    assert not instance.UnixTransport(tmp_path, "k").claim()  # the new file is the lock
    os.close(stale)
    second.close()


def pipe(folder: Path, address: Path) -> instance.PipeTransport:
    """Windows' transport, on an AF_UNIX path: the same listener, client and HMAC challenge
    (the named pipe itself needs Windows). ``folder`` holds the secret: one per user."""
    folder.mkdir(exist_ok=True, mode=0o700)
    return instance.PipeTransport(folder, "k", family="AF_UNIX", address=str(address))


def test_the_pipe_transport_hands_over_and_refuses_a_stranger(tmp_path: Path) -> None:
    ours, address = tmp_path / "ours", tmp_path / "pipe"
    running = pipe(ours, address)
    assert running.claim()
    heard: list[bytes] = []
    running.serve(heard.append)
    assert not pipe(ours, address).claim()  # held
    message = instance.Launch(("/x/a.txt",), ("tasks://open",)).encode()
    assert pipe(ours, address).send(message) == b"ok\n"
    wait_until(lambda: heard, what="the running instance heard the launch")
    assert instance.Launch.decode(heard[0]) == instance.Launch(("/x/a.txt",), ("tasks://open",))
    # Another user knows the name, not the secret: refused, and nothing reaches the app.
    with pytest.raises(instance.AuthenticationError):
        pipe(tmp_path / "theirs", address).send(message)
    running.close()
    again = pipe(ours, address)
    assert again.claim()  # gone with its owner
    again.close()


def test_a_silent_peer_holds_up_neither_side(tmp_path: Path) -> None:
    """Someone connects and says nothing: the running copy still hears the next launch;
    a holder of the name that never answers makes a launch give up in its own time."""
    import time

    ours, address = tmp_path / "ours", tmp_path / "pipe"
    running = pipe(ours, address)
    assert running.claim()
    heard: list[bytes] = []
    running.serve(heard.append)
    with socket.socket(socket.AF_UNIX) as silent:
        silent.connect(str(address))
        assert pipe(ours, address).send(b'{"paths": [], "urls": []}', timeout=5) == b"ok\n"
    running.close()
    with socket.socket(socket.AF_UNIX) as mute:
        mute.bind(str(address))
        mute.listen(1)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            pipe(ours, address).send(b'{"paths": [], "urls": []}', timeout=1)
        assert time.monotonic() - started < 5


def test_a_pipe_held_by_another_user_is_not_sent_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """Someone made the app's pipe first: the launch sends it nothing and runs on its own."""
    address = tmp_path / "pipe"
    squatter = pipe(tmp_path / "theirs", address)
    assert squatter.claim()
    heard: list[bytes] = []
    squatter.serve(heard.append)
    app = config.load(write_app(tmp_path / "app", "def main():\n    pass\n"))
    monkeypatch.setattr(instance, "transport_for", lambda app: pipe(tmp_path / "ours", address))
    single = instance.claim(app, instance.Launch(("/secret/plans.txt",)))
    assert single is not None and single.transport is None
    assert "not this app" in capsys.readouterr().err
    assert heard == []
    squatter.close()


# ---- real processes --------------------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private runtime folder for the locks, and a browser command that writes down links."""
    run = tmp_path / "xdg-run"
    run.mkdir(mode=0o700)
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path}/links\n')
    browser.chmod(0o755)
    return dict(os.environ, XDG_RUNTIME_DIR=str(run), BROWSER=str(browser),
                XDG_DATA_HOME=str(tmp_path / "data"))


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def serve(app: Path, env: dict[str, str], procs: list[subprocess.Popen[str]], *opened: str
          ) -> subprocess.Popen[str]:
    """`pyshell run APP [OPENED...] --browser`, once it serves."""
    proc = subprocess.Popen([*PYSHELL, "run", str(app), *opened, "--browser"], env=env,
                            text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs.append(proc)
    assert proc.stderr is not None
    read_until(proc.stderr, "pyshell: serving", timeout=60)
    return proc


@pytest.mark.page
def test_a_second_launch_hands_over_and_the_lock_survives_kill_9(
        pyshell_browser: object, tmp_path: Path, env: dict[str, str],
        procs: list[subprocess.Popen[str]]) -> None:
    app = write_app(tmp_path / "app", ON_OPEN, 'url-schemes = ["single"]\n'
                    '[[tool.pyshell.file-types]]\nextensions = ["txt"]\nrole = "editor"\n'
                    '[[tool.pyshell.file-types]]\nextensions = ["csv"]\n', name="single")
    first = serve(app, env, procs)
    links = tmp_path / "links"
    wait_until(lambda: links.exists() and links.read_text().strip(), 10, "the link")
    page = pyshell_browser.new_page()  # type: ignore[attr-defined]
    page.goto(links.read_text().split()[0])
    out = page.locator("#out")
    out.filter(has_text="started").wait_for(timeout=90_000)

    doc = tmp_path / "docs" / "notes.txt"
    doc.parent.mkdir()
    doc.write_text("hello from the second launch")
    (doc.parent / "secret.txt").write_text("not handed over")
    (doc.parent / "table.csv").write_text("a,b")
    second = subprocess.run([*PYSHELL, "run", str(app), "notes.txt", "table.csv",
                             "single://item/7"],
                            cwd=doc.parent, env=env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    assert "already running; handed this launch to it" in second.stderr
    out.filter(has_text="paths").wait_for(timeout=30_000)
    heard = json.loads(out.inner_text())
    # notes.txt is of a type the app edits: read-write; table.csv's type it only views.
    assert heard == {"paths": ["/opened/1/notes.txt", "/opened/2/table.csv"],
                     "urls": ["single://item/7"],
                     "texts": ["hello from the second launch", "a,b"],
                     "sibling": ["PermissionError", "PermissionError"],
                     "writable": ["rw", "PermissionError"]}
    assert len(links.read_text().split()) == 1  # no second browser, no second server
    page.close()

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # The kernel dropped the lock: this launch takes over, and its own file goes to on_open
    # once the app has started.
    again = serve(app, env, procs, str(doc))
    wait_until(lambda: len(links.read_text().split()) == 2, 10, "the second link")
    page = pyshell_browser.new_page()  # type: ignore[attr-defined]
    page.goto(links.read_text().split()[1])
    page.locator("#out").filter(has_text="paths").wait_for(timeout=90_000)
    assert json.loads(page.locator("#out").inner_text())["texts"] == [doc.read_text()]
    assert again.poll() is None


PRINTS = r'''
from pyshell import app

@app.on_open
def opened(paths, urls):
    print("opened", paths, urls, [open(p).read() for p in paths], flush=True)

def main():
    print("main ran", flush=True)
'''


@pytest.mark.window
def test_in_a_window_a_second_launch_reaches_the_app(tmp_path: Path, env: dict[str, str],
                                                     procs: list[subprocess.Popen[str]],
                                                     xvfb: str) -> None:
    """The window's path: the running app's window is brought to the front (pywebview's
    restore, from the listener's thread) and its Python hears the file."""
    app = write_app(tmp_path / "app", PRINTS, "snapshot = false\n", name="windowed")
    env = dict(env, DISPLAY=xvfb)
    first = subprocess.Popen([*PYSHELL, "run", str(app), "--gui", "qt"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    procs.append(first)
    assert first.stdout is not None
    read_until(first.stdout, "main ran", timeout=120)
    doc = tmp_path / "notes.txt"
    doc.write_text("in the window")
    second = subprocess.run([*PYSHELL, "run", str(app), str(doc)], env=env,
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    line = read_until(first.stdout, "opened", timeout=30)[-1]
    assert "['/opened/1/notes.txt'] [] ['in the window']" in line, line
    assert "Traceback" not in line and first.poll() is None


def test_single_instance_off_runs_side_by_side(tmp_path: Path, env: dict[str, str],
                                               procs: list[subprocess.Popen[str]]) -> None:
    app = write_app(tmp_path / "app", ON_OPEN, "single-instance = false\n", name="twice")
    one, two = serve(app, env, procs), serve(app, env, procs)
    assert one.poll() is None and two.poll() is None
    assert not list((tmp_path / "xdg-run").glob("pyshell/*"))  # no lock taken


def test_a_url_of_an_undeclared_scheme_is_one_line(tmp_path: Path,
                                                   env: dict[str, str]) -> None:
    app = write_app(tmp_path / "app", ON_OPEN, 'url-schemes = ["single"]\n')
    proc = subprocess.run([*PYSHELL, "run", str(app), "other://item/7"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=30)
    assert_one_line_error(proc, "'other://item/7'", "url-schemes = [\"other\"]")
    assert not list((tmp_path / "xdg-run").glob("pyshell/*"))  # refused before the lock


def test_a_missing_file_is_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    app = write_app(tmp_path / "app", ON_OPEN)
    proc = subprocess.run([*PYSHELL, "run", str(app), "nope.txt"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert_one_line_error(proc, "nope.txt: no such file or folder")

