"""Closing in real Pyodide + Chromium: the page waits for the handler under way, then the
worker runs on_close (a veto keeps the page) and on_quit, and the page answers the host."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_lifecycle import CLOSING_APP, FakeWindow

from kit.apps import grant_toml, open_app, write_app
from pyshell.testing import wait_until_started

pytestmark = pytest.mark.page
COMPLETE = [f"step {i}" for i in range(50)] + ["done"]


def test_close_waits_for_the_handler_then_runs_close_and_quit(
        tmp_path: Path, pyshell_browser) -> None:
    data = tmp_path / "data"
    data.mkdir()
    app = write_app(tmp_path / "closing", CLOSING_APP,
                    extra_toml="snapshot = false\n" + grant_toml(data, "/data", "rw"))
    window = FakeWindow()  # stands for the pywebview window: the page is Chromium's
    with open_app(pyshell_browser, app, wait=None) as opened:
        page, server = opened.page, opened.server
        server.closer.attach(window)
        wait_until_started(page)
        expect(page.locator("#out")).to_have_text("ready")

        page.click("#save")
        assert page.locator("html").get_attribute("data-pyshell-busy") == "1"
        assert server.closer.request() is True
        page.dispatch_event("html", "pyshell:close")  # what evaluate_js does in a window
        expect(page.locator("#out")).to_have_text("kept open", timeout=30_000)
        assert (data / "save-1.txt").read_text().splitlines() == COMPLETE
        assert not window.destroyed.is_set() and not (data / "quit.txt").exists()

        page.click("#save")  # Python is listening again after the veto
        assert server.closer.request() is True
        page.dispatch_event("html", "pyshell:close")
        page.click("#save")  # while closing: never reaches Python
        assert window.destroyed.wait(30)
        assert (data / "save-2.txt").read_text().splitlines() == COMPLETE
        assert not (data / "save-3.txt").exists()
        assert (data / "quit.txt").read_text() == "saved on quit after 2 saves, 2 closes"
