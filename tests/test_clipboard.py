"""The clipboard's declaration: read from pyproject.toml, enforced by the host on its route
(whatever the page sends), and raised in the app's Python as PermissionError. The real X
clipboard is tests/test_desktop_window.py's."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest

from kit.apps import run_app_page, write_app
from kit.procs import assert_one_line_error, run_cli
from pyshell import config, permissions
from pyshell.clipboardservice import Contents
from pyshell.errors import PyshellError
from pyshell.routes import clipboard as route
from pyshell.server import AppServer
from pyshell.testing import app_server


def clipboard_app(root: Path, declared: str | None, main: str = "") -> Path:
    line = "" if declared is None else f"clipboard = {declared}\n"
    return write_app(root, main, extra_toml=f"[tool.pyshell.permissions]\n{line}")


@pytest.mark.parametrize(("declared", "allowed"), [
    (None, set()), ('"read"', {"read"}), ('"write"', {"write"}),
    ('"read-write"', {"read", "write"})])
def test_the_declaration_is_read(tmp_path: Path, declared: str | None, allowed: set[str]
                                 ) -> None:
    assert config.load(clipboard_app(tmp_path, declared)).clipboard == allowed


def test_the_permissions_summary_names_it(tmp_path: Path) -> None:
    summary = permissions.summary(config.load(clipboard_app(tmp_path, '"read-write"')))
    assert "  clipboard  read and write" in summary


@pytest.mark.parametrize("declared", ['"rw"', "true", '["read"]'])
def test_a_bad_declaration_is_one_line_naming_the_key(tmp_path: Path, declared: str) -> None:
    app = clipboard_app(tmp_path, declared)
    with pytest.raises(PyshellError, match='clipboard must be "read", "write" or "read-write"'):
        config.load(app)
    proc = run_cli("run", str(app), "--browser", timeout=60)
    assert_one_line_error(proc, "[tool.pyshell.permissions] clipboard")


class RecordingClipboard:
    """The system clipboard's stand-in (the edge): what was written, what a read finds."""

    def __init__(self) -> None:
        self.contents = Contents("on the clipboard", "<i>on</i>")
        self.writes: list[Contents] = []

    def read(self) -> Contents:
        return self.contents

    def write(self, contents: Contents) -> None:
        self.writes.append(contents)


def ask(server: AppServer, request: dict[str, Any]) -> dict[str, Any]:
    """The route, asked as the window's page would (its cookie and token)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = json.dumps(request).encode()
    conn.request("POST", route.PATH, body, {**server.credentials(),
                                            "Host": f"127.0.0.1:{server.port}",
                                            "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200
    answer: dict[str, Any] = json.loads(response.read())
    conn.close()
    return answer


@pytest.mark.parametrize(("declared", "reads", "writes"), [
    (None, 'clipboard = "read"', 'clipboard = "write"'),
    ('"read"', None, 'clipboard = "read-write"'),
    ('"write"', 'clipboard = "read-write"', None),
    ('"read-write"', None, None)])
def test_the_host_enforces_the_declaration(tmp_path: Path, declared: str | None,
                                           reads: str | None, writes: str | None) -> None:
    """Asked directly (not through pyshell's Python), the host still refuses, naming the
    declaration that would allow it."""
    server = app_server(config.load(clipboard_app(tmp_path / "app", declared)))
    system = RecordingClipboard()
    server.clipboard.system = system
    with server:
        read = ask(server, {"op": "read"})
        written = ask(server, {"op": "write", "text": "t", "html": None})
    if reads is None:
        assert read == {"text": "on the clipboard", "html": "<i>on</i>"}
    else:
        assert read["permission"] is True and f"[tool.pyshell.permissions] {reads}" in \
            read["error"]
    if writes is None:
        assert written == {"ok": True} and system.writes == [Contents("t", None)]
    else:
        assert written["permission"] is True and system.writes == []
        assert f"[tool.pyshell.permissions] {writes}" in written["error"]


APP = '''
from pyshell import clipboard, dom


async def main():
    found = []
    try:
        await clipboard.write_text("x")
    except PermissionError as exc:
        found.append(f"write: {exc}")
    try:
        await clipboard.read_text()
    except RuntimeError as exc:
        found.append(f"read: {exc}")
    try:
        await clipboard.write_html(42)
    except TypeError as exc:
        found.append(f"html: {exc}")
    dom.select("#out").text = "\\n".join(found)
'''


@pytest.mark.page
def test_the_apps_python_raises_what_the_host_said(pyshell_browser: Any, tmp_path: Path
                                                  ) -> None:
    """In a browser page there is no window: a declared read is a RuntimeError saying so;
    an undeclared write a PermissionError naming the line to add."""
    app = clipboard_app(tmp_path / "app", '"read"', APP)
    out = run_app_page(pyshell_browser, app, tmp_path / "appdata").splitlines()
    assert out == [
        'write: the app may not write the clipboard; add [tool.pyshell.permissions] '
        'clipboard = "read-write"',
        "read: the clipboard needs the app's window (not available with --browser)",
        "html: the clipboard's markup must be a str, not int"]
