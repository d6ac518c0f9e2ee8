"""Desktop notifications: the host's D-Bus client against a notification service on a
private session bus (``dbus-run-session``). The service is the tests' own stand-in
(tests/notification_server.py): the desktop is the edge. It records what it is sent, and
``gdbus`` plays the user clicking a button. The app side runs in real Pyodide."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kit import REPO
from kit.apps import open_app, write_app
from kit.procs import read_until
from kit.waits import wait_until
from pyshell import config, notifier
from pyshell.notifier import NotificationsUnavailable, Notifier
from pyshell.routes.notify import UNDECLARED

SERVER = REPO / "tests" / "notification_server.py"


class Bus:
    def __init__(self, address: str, record: Path) -> None:
        self.address, self.record = address, record

    def received(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def click(self, number: int, action: str) -> None:
        """The user clicks: the service emits ActionInvoked (a real gdbus call to it)."""
        subprocess.run(["gdbus", "call", "--address", self.address, "--dest",
                        notifier.BUS_NAME, "--object-path", notifier.OBJECT_PATH, "--method",
                        "org.pyshell.Test.Click", str(number), action],
                       check=True, capture_output=True, timeout=10)


def session_bus(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    """``command`` under dbus-run-session; it prints ``READY <address>``."""
    proc = subprocess.Popen(["dbus-run-session", "--", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stdout is not None
    line = read_until(proc.stdout, "READY ", timeout=20)[-1]
    return proc, line.split()[1]


def stop(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    record = tmp_path_factory.mktemp("bus") / "received.jsonl"
    proc, address = session_bus([sys.executable, str(SERVER), str(record)])
    yield Bus(address, record)
    stop(proc)


# ---- the host's client ---------------------------------------------------------------------
def test_a_notification_and_its_click(bus: Bus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    clicks: list[tuple[int, str]] = []
    sender = Notifier("notes", lambda number, action: clicks.append((number, action)))
    try:
        number = sender.notify("Saved", "3 tasks", "document-save", [("open", "Open")])
        sent = bus.received()[-1]
        assert sent == {"id": number, "app": "notes", "icon": "document-save",
                        "title": "Saved", "body": "3 tasks", "actions": ["open", "Open"],
                        "hints": []}
        bus.click(number, "open")
        bus.click(number + 1000, "open")  # not one of ours: not heard
        wait_until(lambda: clicks, 10, "the click")
        assert clicks == [(number, "open")]
    finally:
        sender.close()


def test_no_session_bus_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(NotificationsUnavailable, match="no D-Bus session bus"):
        Notifier("notes", lambda n, a: None).notify("t", "b", None, [])


def test_a_bus_without_a_notification_service_is_a_clear_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    proc, address = session_bus(["sh", "-c", 'echo READY "$DBUS_SESSION_BUS_ADDRESS"; '
                                             "exec sleep 60"])
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    sender = Notifier("notes", lambda n, a: None)
    try:
        with pytest.raises(NotificationsUnavailable,
                           match=r"no notification service .*org\.freedesktop\.Notifications"):
            sender.notify("t", "b", None, [])
    finally:
        sender.close()
        stop(proc)


def test_the_permission_is_checked_on_the_host(tmp_path: Path) -> None:
    """Undeclared: the host refuses, whatever the page sends."""
    from pyshell.testing import app_server

    server = app_server(config.load(write_app(tmp_path / "app")), {})
    body = json.dumps({"title": "t", "body": "b", "actions": []})
    with server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", "/_pyshell/api/notify", body, {
            "Host": f"127.0.0.1:{server.port}", "Content-Type": "application/json",
            **server.credentials()})
        answer = json.loads(conn.getresponse().read())
        conn.close()
    assert answer == {"error": UNDECLARED, "permission": True}
    assert "notifications = true" in UNDECLARED and "[tool.pyshell.permissions]" in UNDECLARED


def test_a_bad_value_is_one_line(tmp_path: Path) -> None:
    from pyshell.errors import PyshellError

    app = write_app(tmp_path / "app", extra_toml='[tool.pyshell.permissions]\n'
                                                 'notifications = "yes"\n')
    with pytest.raises(PyshellError, match=r"\[tool.pyshell.permissions\] notifications must "
                                           "be true or false"):
        config.load(app)


# ---- in the app ------------------------------------------------------------------------------
APP = r'''
from pyshell import dom, notifications

def clicked(action):
    dom.select("#out").text = f"clicked {action}"

async def main():
    try:
        n = await notifications.notify("Export done", "3 files", icon="folder",
                                        actions={"open": "Open folder"}, on_action=clicked)
        dom.select("#out").text = f"sent {n}"
    except PermissionError as exc:
        dom.select("#out").text = f"PermissionError: {exc}"
    try:
        await notifications.notify("", "no title")
    except ValueError as exc:
        dom.select("#bad").text = str(exc)
'''
UI = "<html><head></head><body><pre id=out></pre><pre id=bad></pre></body></html>"


@pytest.mark.page
def test_the_app_sends_and_hears_the_click(bus: Bus, tmp_path: Path, pyshell_browser: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    app = write_app(tmp_path / "app", APP, "[tool.pyshell.permissions]\nnotifications = true\n",
                    name="exporter", ui=UI)
    with open_app(pyshell_browser, app, cold=True) as opened:
        out = opened.page.locator("#out")
        out.filter(has_text="sent").wait_for(timeout=90_000)
        number = int(out.inner_text().split()[1])
        assert bus.received()[-1]["title"] == "Export done"
        assert bus.received()[-1]["app"] == "exporter"
        assert opened.page.locator("#bad").inner_text() == (
            "notify() title must be a non-empty str, got ''")
        bus.click(number, "open")
        out.filter(has_text="clicked open").wait_for(timeout=30_000)


@pytest.mark.page
def test_undeclared_is_a_permission_error_in_python(tmp_path: Path, pyshell_browser: Any
                                                    ) -> None:
    app = write_app(tmp_path / "app", APP, ui=UI)
    with open_app(pyshell_browser, app, cold=True) as opened:
        out = opened.page.locator("#out")
        out.filter(has_text="PermissionError").wait_for(timeout=90_000)
        assert out.inner_text() == f"PermissionError: {UNDECLARED}"
