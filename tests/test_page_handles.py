"""Element handles in real Pyodide in Chromium: the page forgets what Python drops."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import open_app, write_app
from pyshell.testing import wait_until_idle

pytestmark = pytest.mark.page

CHURN_APP = '''
import asyncio
from pyshell import dom

kept = []

def main():
    dom.select("#out").text = "ready"

@dom.on("click", "#churn")
async def churn(event):
    for _ in range(100):
        for _ in range(1000):
            dom.create("li", text="x")  # dropped at once
        await asyncio.sleep(0)  # each round reaches the page as a batch of its own
    item = dom.create("li", text="kept")
    kept.append(item)
    dom.select("#list").append(item)
    dom.select("#out").text = "churned"

@dom.on("click", "#move")
def move(event):
    kept[0].remove()  # a removed element Python still holds can be put back
    dom.select("#other").append(kept[0])

@dom.on("click", "#drop")
def drop(event):
    kept.clear()
    dom.select("#out").text = "dropped"
'''
PAGE = ('<!doctype html><html><head><title>handles</title></head><body><div id="out"></div>'
        '<ul id="list"></ul><ul id="other"></ul><button id="churn">churn</button>'
        '<button id="move">move</button><button id="drop">drop</button></body></html>')


def test_dropping_100000_handles_keeps_the_pages_map_bounded(
        pyshell_browser, tmp_path: Path, pyshell_folders: dict[str, Path]) -> None:
    app = write_app(tmp_path / "probe", CHURN_APP, ui=PAGE)
    with open_app(pyshell_browser, app, pyshell_folders, cold=True) as opened:
        page = opened.page
        assert page.evaluate("pyshellHandles") == 0
        page.click("#churn")
        expect(page.locator("#out")).to_have_text("churned", timeout=120_000)
        wait_until_idle(page)
        assert page.evaluate("pyshellHandles") == 1  # the one Python keeps
        page.click("#move")
        expect(page.locator("#other li")).to_have_text("kept")
        expect(page.locator("#list li")).to_have_count(0)
        page.click("#drop")
        expect(page.locator("#out")).to_have_text("dropped")
        wait_until_idle(page)
        assert page.evaluate("pyshellHandles") == 0
        expect(page.locator("#other li")).to_have_text("kept")  # released, not removed
        assert not [m for m in opened.console if "Content Security Policy" in m], opened.console
