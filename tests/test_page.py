"""The runtime in real Pyodide in headless Chromium, through the real app server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from pyshell import config
from pyshell.testing import app_server, wait_until_started

pytestmark = pytest.mark.page


def open_app(browser, app_dir: Path, folders: dict[str, Path], logs: list | None = None):
    server = app_server(config.load(app_dir), folders,
                        log=(lambda s, t: logs.append((s, t))) if logs is not None else None)
    server.start()
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.goto(server.launch_url())
    return server, context, page, messages


def test_template_renders_and_adds(pyshell_browser, app_dir: Path, pyshell_folders) -> None:
    server, context, page, messages = open_app(pyshell_browser, app_dir, pyshell_folders)
    try:
        wait_until_started(page)
        expect(page.locator("#list .task")).to_have_count(3)
        page.fill("#new-title", "From the test")
        page.click("form button")
        expect(page.locator("#list .task")).to_have_count(4)
        expect(page.locator("#list .task").last).to_have_text("From the test×")
        assert not [m for m in messages if "Content Security Policy" in m], messages
        assert page.evaluate("crossOriginIsolated") is True
    finally:
        context.close()
        server.stop()


def test_static_html_paints_before_python(pyshell_browser, app_dir: Path, pyshell_folders) -> None:
    server, context, page, _ = open_app(pyshell_browser, app_dir, pyshell_folders)
    try:
        # The loading state is the page's own HTML: present while Python boots.
        assert page.locator("html").get_attribute("data-pyshell") in ("booting", "ready")
        expect(page.locator("h1")).to_have_text("Sample Tasks")
        wait_until_started(page)
    finally:
        context.close()
        server.stop()


PRINTING_APP = '''
import sys
from pyshell import dom

def main():
    print("hello from wasm", sys.platform)
    print("to stderr", file=sys.stderr)
    dom.select("#out").text = "ran"

@dom.on("click", "#go")
async def go(event):
    text = await dom.select("#out").get("text")
    dom.select("#out").text = text + " and clicked"
    print("clicked", event.target_id)
'''


def test_print_reaches_the_terminal_and_async_handlers_work(pyshell_browser, make_app, pyshell_folders) -> None:
    logs: list[tuple[str, str]] = []
    server, context, page, _ = open_app(pyshell_browser, make_app({"app/main.py": PRINTING_APP}), pyshell_folders,
                                        logs)
    try:
        wait_until_started(page)
        expect(page.locator("#out")).to_have_text("ran")
        page.click("#go")
        expect(page.locator("#out")).to_have_text("ran and clicked")
        for _ in range(100):  # the worker flushes its log every 30 ms (slower on a busy machine)
            if ("stdout", "clicked go") in logs:
                break
            page.wait_for_timeout(100)
        assert ("stdout", "hello from wasm emscripten") in logs
        assert ("stderr", "to stderr") in logs
        assert ("stdout", "clicked go") in logs
    finally:
        context.close()
        server.stop()


BROKEN_APP = '''
from pyshell import dom

def helper(items):
    return items["missing"]

def main():
    dom.select("#out").text = "before the error"
    helper({})
'''


def test_uncaught_exception_shows_the_app_traceback(pyshell_browser, make_app, pyshell_folders) -> None:
    logs: list[tuple[str, str]] = []
    server, context, page, _ = open_app(pyshell_browser, make_app({"app/main.py": BROKEN_APP}), pyshell_folders,
                                        logs)
    try:
        page.locator("html[data-pyshell=error]").wait_for(state="attached", timeout=90_000)
        panel = page.locator("#pyshell-error")
        expect(panel).to_be_visible()
        text = panel.locator("pre").inner_text()
        assert "KeyError: 'missing'" in text
        assert "app/main.py" in text and "in helper" in text and "in main" in text
        assert "bootstrap.py" not in text and "pyodide" not in text.lower()
        expect(page.locator("#out")).to_have_text("before the error")
        panel.get_by_role("button", name="Dismiss").click()
        expect(panel).to_have_count(0)
        page.wait_for_timeout(300)
        assert any(s == "stderr" and "KeyError" in t for s, t in logs)
    finally:
        context.close()
        server.stop()


def test_ui_stays_responsive_while_python_computes(pyshell_browser, make_app, pyshell_folders) -> None:
    busy = '''
from pyshell import dom

@dom.on("click", "#go")
def spin(event):
    total = 0
    for i in range(30_000_000):
        total += i
    dom.select("#out").text = str(total)

def main():
    dom.select("#out").text = "idle"
'''
    server, context, page, _ = open_app(pyshell_browser, make_app({"app/main.py": busy}), pyshell_folders)
    try:
        wait_until_started(page)
        page.click("#go")
        # While Python loops in the worker, the page's own thread still answers.
        assert page.evaluate("1 + 1") == 2
        assert page.locator("#out").inner_text() == "idle"
        expect(page.locator("#out")).to_have_text(str(sum(range(30_000_000))), timeout=120_000)
    finally:
        context.close()
        server.stop()
