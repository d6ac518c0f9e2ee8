"""A busy Python never freezes the page: after a second the page says so and offers a
restart, the writes made before the busy stretch are shown, and in dev mode a save while
Python is stuck starts it afresh with the new code."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import dev_session, open_app, write_app

pytestmark = pytest.mark.page

STUCK = '''
import time
from pyshell import dom

def main():
    dom.select("#out").text = "before the loop"
    while True:
        time.sleep(0.05)
'''

LONG_HANDLER = '''
import time
from pyshell import dom

@dom.on("click", "#work")
def work(event):
    dom.select("#out").text = "working"
    time.sleep(4)
    dom.select("#out").text = "done"

def main():
    dom.select("#out").text = "ready"
'''

FIXED = '''
from pyshell import dom

def main():
    dom.select("#out").text = "fixed"
'''

UI = ('<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>'
      '<p id="out">static</p><button id="work">Work</button></body></html>')


def test_a_loop_in_main_shows_its_writes_and_a_save_restarts_it(tmp_path: Path,
                                                                pyshell_browser) -> None:
    app = write_app(tmp_path / "stuck", STUCK, "snapshot = false\n", ui=UI)
    with dev_session(pyshell_browser, app, wait=None) as opened:
        page = opened.page
        expect(page.locator("#out")).to_have_text("before the loop", timeout=90_000)
        expect(page.locator("#pyshell-busy")).to_be_visible()
        assert page.evaluate("document.documentElement.dataset.pyshell") == "booting"
        (app / "app" / "main.py").write_text(FIXED)
        expect(page.locator("#out")).to_have_text("fixed", timeout=90_000)
        expect(page.locator("html")).to_have_attribute("data-pyshell", "ready")
        expect(page.locator("#pyshell-busy")).to_have_count(0)


def test_a_long_handler_shows_busy_until_it_ends_and_restart_reloads(tmp_path: Path,
                                                                     pyshell_browser) -> None:
    app = write_app(tmp_path / "long", LONG_HANDLER, "snapshot = false\n", ui=UI)
    with open_app(pyshell_browser, app) as opened:
        page = opened.page
        page.locator("#work").click()
        expect(page.locator("#out")).to_have_text("working")  # before the handler ended
        expect(page.locator("#pyshell-busy")).to_be_visible()
        expect(page.locator("#out")).to_have_text("done", timeout=30_000)
        expect(page.locator("#pyshell-busy")).to_have_count(0)
        assert page.locator("#pyshell-busy").count() == 0
        page.locator("#work").click()
        page.evaluate("window.beforeRestart = true")
        page.locator("#pyshell-busy button").click()
        expect(page.locator("#out")).to_have_text("ready", timeout=90_000)
        assert page.evaluate("window.beforeRestart") is None
