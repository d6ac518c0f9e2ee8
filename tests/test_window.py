"""The template app in real pywebview windows under Xvfb, on QtWebEngine and WebKitGTK."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdp import CDPPage
from kit.apps import grant_toml, write_app
from kit.procs import PYSHELL, findings, read_until
from kit.waits import wait_until

pytestmark = pytest.mark.window
HARNESS = Path(__file__).with_name("window_harness.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_real_picture(path: Path) -> None:
    """Not a blank or single-colour frame: the window drew the app."""
    assert path.is_file() and path.stat().st_size > 10_000, path
    spread = subprocess.run(["convert", str(path), "-format", "%[fx:standard_deviation]", "info:"],
                            capture_output=True, text=True, check=True).stdout
    assert float(spread) > 0.05, f"{path} looks blank ({spread})"


@pytest.mark.parametrize(("engine", "sab"), [("qt", None), ("gtk", "1"), ("gtk", "0")],
                         ids=["qt", "gtk-sharedarraybuffer", "gtk-no-sharedarraybuffer"])
def test_template_in_a_window(engine: str, sab: str | None, app_dir: Path, xvfb: str,
                              artifacts: Path, tmp_path: Path) -> None:
    shot = artifacts / f"window-{engine}{'' if sab is None else '-sab' + sab}.png"
    shot.unlink(missing_ok=True)
    data_home = tmp_path / "xdg-data"  # where platformdirs puts {appdata} on Linux
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(data_home))
    if sab is not None:
        env["JSC_useSharedArrayBuffer"] = sab
    proc = subprocess.run([sys.executable, str(HARNESS), str(app_dir), engine, str(shot)],
                          env=env, capture_output=True, text=True, timeout=300)
    found = findings(proc)
    assert found["state"] == "ready", proc.stderr[-3000:]
    assert found["tasks_before"] == 3 and found["tasks_after"] == 4
    assert found["last_title"] == "Added in the window"
    assert found["isolated"] is True and found["token_in_dom"] is False
    if sab == "0":
        assert found["shared_array_buffer"] == "undefined"  # the fallback path really ran
    else:
        assert found["shared_array_buffer"] == "function"
    assert_real_picture(shot)
    saved = json.loads((data_home / "sample-tasks" / "tasks.json").read_text())
    assert saved["tasks"][-1]["title"] == "Added in the window"  # through the data grant


@contextlib.contextmanager
def running(proc: subprocess.Popen):
    """The process never outlives the test, whatever fails."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()


def window_shown(display: str, title: str) -> bool:
    """A window of that title is mapped on the display."""
    return subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                          env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                          capture_output=True, timeout=30).returncode == 0


def ctrl_c(proc: subprocess.Popen) -> str:
    """Press Ctrl-C; the app must exit 0 without a traceback. Returns its stderr."""
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    return err


def launch_with_devtools(verb: str, app_dir: Path, xvfb: str, tmp_path: Path, *more: str):
    """`pyshell VERB APP --gui qt [MORE...]`, unmodified; Qt's own DevTools switch lets the
    test in."""
    port = free_port()
    env = dict(os.environ, DISPLAY=xvfb, QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}",
               XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    proc = subprocess.Popen([*PYSHELL, verb, str(app_dir), "--gui", "qt", *more], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def test_qt_pyshell_run_driven_over_devtools(app_dir: Path, xvfb: str, artifacts: Path,
                                            tmp_path: Path) -> None:
    """`pyshell run` itself, unmodified; Qt's own DevTools switch lets the test in."""
    proc, port = launch_with_devtools("run", app_dir, xvfb, tmp_path)
    with running(proc):
        page = CDPPage(port)
        page.wait_for("document.documentElement.dataset.pyshell", "ready")
        assert page.evaluate("document.querySelectorAll('#list .task').length") == 3
        page.evaluate("document.querySelector('#new-title').focus()")
        page.type_text("Typed over CDP")
        page.press_enter()
        page.wait_for("document.querySelectorAll('#list .task').length", 4, timeout=30)
        assert page.evaluate(
            "document.querySelector('#list .task:last-child .title').textContent") == "Typed over CDP"
        shot = artifacts / "window-qt-pyshell-run.png"
        page.screenshot(shot)
        assert_real_picture(shot)
        page.close()
        ctrl_c(proc)


MEDIA_APP = """
from pyshell import dom, files

async def main():
    dom.select("#photo").attr("src", files.url("/pics/cat.png"))
    dom.select("#thumb").attr("src", await files.thumbnail("/pics/cat.png", 20))
"""


def test_qt_shows_grant_files_and_thumbnails(xvfb: str, tmp_path: Path) -> None:
    """files.url in <img> and files.thumbnail render in a real QtWebEngine window, from a
    folder granted at launch (`pyshell run --grant`)."""
    pics = tmp_path / "pics"
    pics.mkdir()
    subprocess.run(["convert", "-size", "40x30", "xc:#c81e1e", str(pics / "cat.png")], check=True)
    app = write_app(tmp_path / "app", MEDIA_APP,
                    ui='<html><head></head><body><img id="photo"><img id="thumb"></body></html>')
    proc, port = launch_with_devtools("run", app, xvfb, tmp_path, "--grant", f"/pics={pics}")
    with running(proc):
        page = CDPPage(port)
        page.wait_for("document.documentElement.dataset.pyshell", "ready")
        page.wait_for("document.getElementById('photo').naturalWidth", 40, timeout=30)
        page.wait_for("document.getElementById('thumb').naturalWidth", 20, timeout=30)
        assert page.evaluate("document.getElementById('thumb').naturalHeight") == 15
        assert page.evaluate("document.getElementById('photo').getAttribute('src')").startswith(
            "/_pyshell/file/")
        page.close()
        ctrl_c(proc)


def test_qt_says_an_app_error_once(xvfb: str, tmp_path: Path) -> None:
    """The app's traceback reaches the terminal through pyshell, once: QtWebEngine's own
    copy of the page's console ("js: ...") is turned off."""
    app = write_app(tmp_path / "app", "def main():\n    raise ValueError('boom in main')\n")
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    env.pop("QT_LOGGING_RULES", None)
    proc = subprocess.Popen([*PYSHELL, "run", str(app), "--gui", "qt"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with running(proc):
        said = read_until(proc.stderr, "ValueError: boom in main", 120)
        time.sleep(2)  # a second copy would follow within the worker's next log flush
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    told = "".join(said) + rest
    assert told.count("ValueError: boom in main") == 1, told[-3000:]
    assert "js:" not in told, told[-3000:]


def test_gtk_pyshell_run_stops_cleanly_on_ctrl_c(app_dir: Path, xvfb: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    proc = subprocess.Popen([*PYSHELL, "run", str(app_dir), "--gui", "gtk"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with running(proc):
        said = read_until(proc.stderr, " on gtk at 127.0.0.1:")
        port = int(said[-1].rsplit(":", 1)[1])
        wait_until(lambda: window_shown(xvfb, "Sample Tasks"), 60, "the window on screen", 0.2)
        ctrl_c(proc)
    with pytest.raises(OSError):  # the server went with the window
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_qt_pyshell_dev_reloads_python_in_place(app_dir: Path, xvfb: str, tmp_path: Path) -> None:
    """`pyshell dev` in a real Qt window: save a module, the window shows the new code."""
    proc, port = launch_with_devtools("dev", app_dir, xvfb, tmp_path)
    with running(proc):
        page = CDPPage(port)
        page.wait_for("document.documentElement.dataset.pyshell", "ready")
        page.evaluate("window.__marker = 1")
        # The page reports its boot over the dev socket, so the line means it is connected.
        said = read_until(proc.stderr, "pyshell dev: page loaded, Python ready at", 30)
        assert "Traceback" not in "".join(said)
        main = app_dir / "app" / "main.py"
        main.write_text(main.read_text().replace(
            '''f"{left} task{'s' if left != 1 else ''} left"''', '''f"{left} still open"'''))
        page.wait_for("document.querySelector('#count').textContent", "2 still open", timeout=30)
        assert page.evaluate("window.__marker") == 1  # updated in place, not reloaded
        page.close()
        err = ctrl_c(proc)
    # One line per update: what changed, what was done, how long it took.
    assert re.search(r"^pyshell dev: app/main.py changed -> python update done in \d+ ms$",
                     err, re.MULTILINE), err


LEAVING_APP = '''
from pyshell import dom

def main():
    dom.select("head").append(dom.create(
        "meta", attrs={{"http-equiv": "refresh", "content": "1;url={target}"}}))
    dom.select("#out").text = "refresh injected"
'''


@contextlib.contextmanager
def decoy_site():
    """Another origin on this machine, counting the requests that reach it."""
    import http.server
    import threading

    hits: list[str] = []

    class Decoy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            body = b"<html><body>the decoy</body></html>"
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Decoy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    finally:
        server.shutdown()


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_meta_refresh_cannot_take_the_window_off_the_app(engine: str, tmp_path: Path,
                                                        xvfb: str) -> None:
    with decoy_site() as (target, hits):
        app = write_app(tmp_path / "leaving", LEAVING_APP.format(target=target),
                        extra_toml="snapshot = false\n")
        env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "xdg-data"))
        proc = subprocess.run([sys.executable, str(NAVIGATION_HARNESS), str(app), engine],
                              env=env, capture_output=True, text=True, timeout=300)
    found = findings(proc)
    assert found["state"] == "ready" and found["out"] == "refresh injected", proc.stderr[-3000:]
    assert found["url"].startswith("http://127.0.0.1:") and not found["url"].startswith(target)
    assert hits == []  # the other origin was never even asked
    assert f"pyshell: the window stays on the app; it was sent to {target}" in proc.stderr


NAVIGATION_HARNESS = Path(__file__).with_name("window_navigation_harness.py")


CLOSE_HARNESS = Path(__file__).with_name("window_close_harness.py")


@pytest.mark.parametrize("engine", ["qt", "gtk"])
def test_closing_lets_python_finish_then_runs_close_and_quit_handlers(
        engine: str, tmp_path: Path, xvfb: str) -> None:
    """SIGTERM (as Ctrl-C or a session's logout) mid-handler: the save completes, the app's
    on_close may keep the window open, and on_quit's write is on disk after the exit."""
    from test_lifecycle import CLOSING_APP

    data = tmp_path / "data"
    data.mkdir()
    app = write_app(tmp_path / "closing", CLOSING_APP, extra_toml=(
        "snapshot = false\n" + grant_toml(data, "/data", "rw")
        + "[tool.pyshell.window]\nquit-budget = 20\n"))
    env = dict(os.environ, DISPLAY=xvfb, XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(CLOSE_HARNESS), str(app), engine, str(data)],
                          env=env, capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent)
    took = time.monotonic() - started
    found = findings(proc)
    complete = [f"step {i}" for i in range(50)] + ["done"]
    assert found["state"] == "ready", proc.stderr[-3000:]
    # The close came while the first save was running...
    assert found["busy_1"] and found["lines_at_close_1"] < 51, found
    # ...which finished before on_close ran, and on_close kept the window open.
    assert found["out_after_veto"] == "kept open" and found["still_open"] is True, found
    assert found["lines_after_veto_1"] == 51 and found["quit_after_veto"] is False, found
    # The second close, again mid-save, let the save finish and on_quit run, then exited.
    assert (data / "save-1.txt").read_text().splitlines() == complete
    assert (data / "save-2.txt").read_text().splitlines() == complete
    assert (data / "quit.txt").read_text() == "saved on quit after 2 saves, 2 closes"
    assert "did not finish closing" not in proc.stderr and took < 200
