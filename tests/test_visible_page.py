"""``@dom.on("visible", selector)``: an element's handler runs when it is scrolled into
view, for elements in the page and ones Python adds later, in Chromium on the real server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import app_with_buttons, write_app

pytestmark = pytest.mark.page

APP = r'''
import json
from pyshell import dom

seen = []

def main():
    body = dom.select("body")
    for number in range(30):
        body.append(dom.create("div", text=f"item {number}", classes=["item"],
                               attrs={"id": f"item-{number}", "style": "height: 300px"}))
    dom.select("#out").text = "ready"

@dom.on("visible", ".item")
def visible(event):
    seen.append(event.target_id)
    dom.select("#seen").text = json.dumps(seen)

@dom.on("click", "#add")
def add(event):
    dom.select("body").prepend(dom.create("div", text="new", classes=["item"], attrs={"id": "late"}))

@dom.on("click", "#bad")
def bad(event):
    try:
        dom.on("visible")(visible)
        dom.select("#out").text = "no error"
    except ValueError as exc:
        dom.select("#out").text = str(exc)
'''


def seen(page) -> list[str]:
    text = page.locator("#seen").inner_text()
    return json.loads(text) if text else []


def wait_seen(page, needle: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while needle not in seen(page) and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen(page)


def test_visible_fires_for_what_comes_into_view(pyshell_browser, tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", APP)
    index = app / "ui" / "index.html"
    index.write_text(index.read_text().replace("<pre id=out>", "<pre id=seen></pre><pre id=out>"))
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["add", "bad"]) as (page, _):
        page.set_viewport_size({"width": 800, "height": 600})
        first = wait_seen(page, "item-0")
        assert "item-0" in first and "item-1" in first
        assert "item-29" not in first and "item-10" not in first  # far below: not yet
        page.locator("#item-29").scroll_into_view_if_needed()
        assert "item-29" in wait_seen(page, "item-29")
        assert "item-0" not in seen(page)[len(first):]  # out of view now
        page.click("#add")  # scrolls back to the top, where the new element is
        assert "late" in wait_seen(page, "late")
        page.locator("#out").evaluate("el => el.textContent = ''")
        page.click("#bad")
        expect(page.locator("#out")).to_contain_text('on("visible") needs a selector')
