"""Group 3: the app's own code (its Python and its page) trying to get out.

Out of its grants (host files), out of its origin (other servers, other sites, the
user's browser). The app server and Chromium are real; only the system browser launch
is replaced by a recorder (``AppServer(opener=...)``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import grant_toml, write_app
from pyshell import config
from pyshell.server import AppServer
from pyshell.testing import app_server, wait_until_started

pytestmark = pytest.mark.page

OPEN_URLS = '[tool.pyshell.permissions]\nopen-urls = ["https://docs.example/*"]\n'


def serve(app: Path, appdata: Path, opened: list[str], logs: list[str]) -> AppServer:
    server = app_server(config.load(app), {"appdata": appdata},
                        log=lambda s, t: logs.append(t),
                        opener=lambda url: opened.append(url) or True)
    server.start()
    return server


def run(browser, server: AppServer):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.launch_url())
    wait_until_started(page)
    return context, page


OPENER_APP = '''
from pyshell import dom, shell

async def main():
    said = []
    for url in ["https://docs.example/guide", "https://evil.example/", "file:///etc/passwd",
                "https://docs.example.evil.example/", "https://x@docs.example/",
                "https://docs.example/../admin", "javascript:alert(1)"]:
        try:
            await shell.open_url(url)
            said.append("opened")
        except PermissionError:
            said.append("refused")
    dom.select("#out").text = " ".join(said)
'''


def test_open_url_opens_only_declared_addresses(pyshell_browser, tmp_path: Path) -> None:
    opened: list[str] = []
    logs: list[str] = []
    app = write_app(tmp_path / "opener", OPENER_APP, extra_toml="snapshot = false\n" + OPEN_URLS)
    server = serve(app, tmp_path / "appdata", opened, logs)
    try:
        context, page = run(pyshell_browser, server)
        expect(page.locator("#out")).to_have_text("opened" + " refused" * 6)
        context.close()
    finally:
        server.stop()
    assert opened == ["https://docs.example/guide"]
    refusals = [t for t in logs if t.startswith("pyshell: refused opening")]
    assert len(refusals) == 6 and "https://evil.example/ (not in" in refusals[0]


LINKS_PAGE = '''<html><head></head><body><pre id=out></pre>
<a id=allowed href="https://docs.example/page">docs</a>
<a id=other href="http://127.0.0.1:{decoy}/steal">other</a>
<a id=inside href="/style.css">inside</a></body></html>'''


def test_clicked_links_leave_through_the_allow_list_only(pyshell_browser, tmp_path: Path) -> None:
    import socket

    with socket.socket() as decoy:  # a port nothing answers on would do; this one listens
        decoy.bind(("127.0.0.1", 0))
        decoy.listen()
        port = decoy.getsockname()[1]
        opened: list[str] = []
        logs: list[str] = []
        app = write_app(tmp_path / "links", "def main():\n    pass\n",
                        extra_toml="snapshot = false\n" + OPEN_URLS,
                        ui=LINKS_PAGE.format(decoy=port))
        (app / "ui" / "style.css").write_text("body {}")
        server = serve(app, tmp_path / "appdata", opened, logs)
        try:
            context, page = run(pyshell_browser, server)
            page.click("#allowed")
            page.click("#other")
            page.wait_for_timeout(500)  # the test: a while in which the page may not leave
            assert page.url == server.url  # the page stayed where it was
            decoy.settimeout(0.1)
            with pytest.raises(TimeoutError):
                decoy.accept()  # and nothing connected to the other origin
            page.click("#inside")  # same-origin links still navigate in the window
            page.wait_for_url(server.url + "style.css")
            context.close()
        finally:
            server.stop()
    assert opened == ["https://docs.example/page"]
    assert [t for t in logs if "refused" in t] == [
        f"pyshell: refused a clicked link to http://127.0.0.1:{port}/steal "
        "(not in [tool.pyshell.permissions] open-urls)"]


ESCAPES_APP = '''
import os
from pathlib import Path
from pyshell import dom

def attempt(action):
    try:
        action()
        return "DONE"
    except OSError as exc:
        return type(exc).__name__

def main():
    said = [
        attempt(lambda: open("/etc/passwd").read()),             # not in WebAssembly's FS
        attempt(lambda: Path("/data/../outside.txt").read_text()),  # leave the grant by ..
        attempt(lambda: os.symlink("/etc/passwd", "/data/link")),   # make a way out
        attempt(lambda: Path("/data/link-made-outside").read_text()),  # follow one
        attempt(lambda: Path("/ro/new.txt").write_text("x")),     # write to a ro grant
        attempt(lambda: os.rename("/ro/kept.txt", "/data/moved.txt")),  # move out of ro
    ]
    dom.select("#out").text = " ".join(said)
'''


@pytest.mark.parametrize("containment", ["descriptor", "portable"])
def test_the_apps_python_cannot_reach_past_its_grants(pyshell_browser, tmp_path: Path,
                                                      monkeypatch, containment: str) -> None:
    """With either containment (the portable one is what Windows hosts use)."""
    import os

    monkeypatch.setenv("PYSHELL_CONTAINMENT", containment)
    secret = tmp_path / "outside.txt"
    secret.write_text("host secret")
    data, ro = tmp_path / "data", tmp_path / "ro"
    data.mkdir()
    ro.mkdir()
    (ro / "kept.txt").write_text("kept")
    os.symlink(secret, data / "link-made-outside")
    app = write_app(tmp_path / "escapes", ESCAPES_APP, extra_toml="snapshot = false\n"
                    + grant_toml(data, "/data", "rw") + grant_toml(ro, "/ro", "ro"))
    server = serve(app, tmp_path / "appdata", [], [])
    try:
        assert server.files.containment == containment
        context, page = run(pyshell_browser, server)
        expect(page.locator("#out")).not_to_be_empty()
        results = page.locator("#out").inner_text().split()
        context.close()
    finally:
        server.stop()
    assert "DONE" not in results, results
    assert (ro / "kept.txt").read_text() == "kept" and not (ro / "new.txt").exists()
    assert not (data / "link").exists() and not (data / "moved.txt").exists()


REACH_OUT_APP = '''
import js
from pyshell import dom

async def main():
    said = []
    for url in ["http://127.0.0.1:{decoy}/fetch", "ws://127.0.0.1:{decoy}/socket"]:
        try:
            if url.startswith("ws"):
                js.WebSocket.new(url)  # refused by CSP: its error event comes later
            else:
                await js.fetch(url)
            said.append("REACHED")
        except Exception:
            said.append("blocked")
    dom.select("#out").text = " ".join(said)
'''


def test_the_app_cannot_talk_to_other_local_servers(pyshell_browser, tmp_path: Path) -> None:
    """connect-src names this server's port only: a fetch or WebSocket elsewhere is refused
    by the engine before any connection is made."""
    import socket

    with socket.socket() as decoy:
        decoy.bind(("127.0.0.1", 0))
        decoy.listen()
        port = decoy.getsockname()[1]
        app = write_app(tmp_path / "reach", REACH_OUT_APP.format(decoy=port),
                        extra_toml="snapshot = false\n")
        server = serve(app, tmp_path / "appdata", [], [])
        try:
            context, page = run(pyshell_browser, server)
            expect(page.locator("#out")).not_to_be_empty()
            page.wait_for_timeout(500)  # the test: a while in which nothing may reach the decoy
            text = page.locator("#out").inner_text()
            decoy.settimeout(0.1)
            with pytest.raises(TimeoutError):
                decoy.accept()
            context.close()
        finally:
            server.stop()
    assert text.split()[0] == "blocked"  # the fetch failed (the socket's error comes later)
