"""The runtime in real Pyodide in headless Chromium, through the real app server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import PROBE_UI, open_app, write_app
from kit.waits import wait_until

pytestmark = pytest.mark.page


def test_template_renders_and_adds(pyshell_browser, app_dir: Path, pyshell_folders) -> None:
    with open_app(pyshell_browser, app_dir, pyshell_folders) as opened:
        page = opened.page
        expect(page.locator("#list .task")).to_have_count(3)
        page.fill("#new-title", "From the test")
        page.click("form button")
        expect(page.locator("#list .task")).to_have_count(4)
        expect(page.locator("#list .task").last).to_have_text("From the test×")
        assert not [m for m in opened.console if "Content Security Policy" in m], opened.console
        assert page.evaluate("crossOriginIsolated") is True


# Before the page's own scripts: when the first content was painted (and what was on screen
# then), and when Python said "ready".
PAINT_WATCH = """
window.__paint = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.name !== "first-contentful-paint" || "at" in window.__paint) continue;
    const h1 = document.querySelector("h1");
    Object.assign(window.__paint, {
      at: entry.startTime,
      state: document.documentElement.dataset.pyshell ?? null,
      h1: h1 ? h1.textContent : null,
      h1Shown: !!h1 && h1.getBoundingClientRect().height > 0
               && getComputedStyle(h1).visibility === "visible",
    });
  }
}).observe({ type: "paint", buffered: true });
new MutationObserver(() => {
  if (document.documentElement.dataset.pyshell === "ready" && !("readyAt" in window.__paint))
    window.__paint.readyAt = performance.now();
}).observe(document, { attributes: true, attributeFilter: ["data-pyshell"], subtree: true });
"""


def test_static_html_paints_before_python(pyshell_browser, app_dir: Path, pyshell_folders) -> None:
    """The loading state is the page's own HTML, on screen while Python boots: the first
    paint with content comes before "ready", and shows the static heading."""
    with open_app(pyshell_browser, app_dir, pyshell_folders, cold=True,
                  init_script=PAINT_WATCH) as opened:
        paint = wait_until(lambda: opened.page.evaluate(
            "'at' in window.__paint && 'readyAt' in window.__paint ? window.__paint : null"),
            10, "the first paint and the ready state")
    assert paint["at"] < paint["readyAt"], paint  # painted while Python was still booting
    assert paint["state"] != "ready", paint
    assert paint["h1"] == "Sample Tasks" and paint["h1Shown"], paint


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


def test_print_reaches_the_terminal_and_async_handlers_work(pyshell_browser, tmp_path: Path, pyshell_folders) -> None:
    app = write_app(tmp_path / "probe", PRINTING_APP, ui=PROBE_UI)
    with open_app(pyshell_browser, app, pyshell_folders) as opened:
        page, logs = opened.page, opened.logs
        expect(page.locator("#out")).to_have_text("ran")
        page.click("#go")
        expect(page.locator("#out")).to_have_text("ran and clicked")
        # The worker flushes its log every 30 ms (slower on a busy machine).
        wait_until(lambda: ("stdout", "clicked go") in logs, 10, "the click's print", 0.1)
        assert ("stdout", "hello from wasm emscripten") in logs
        assert ("stderr", "to stderr") in logs


BROKEN_APP = '''
from pyshell import dom

def helper(items):
    return items["missing"]

def main():
    dom.select("#out").text = "before the error"
    helper({})
'''


def test_uncaught_exception_shows_the_app_traceback(pyshell_browser, tmp_path: Path, pyshell_folders) -> None:
    app = write_app(tmp_path / "probe", BROKEN_APP, ui=PROBE_UI)
    with open_app(pyshell_browser, app, pyshell_folders, wait="settled") as opened:
        page, logs = opened.page, opened.logs
        expect(page.locator("html")).to_have_attribute("data-pyshell", "error")
        panel = page.locator("#pyshell-error")
        expect(panel).to_be_visible()
        text = panel.locator("pre").inner_text()
        assert "KeyError: 'missing'" in text
        assert "app/main.py" in text and "in helper" in text and "in main" in text
        assert "bootstrap.py" not in text and "pyodide" not in text.lower()
        expect(page.locator("#out")).to_have_text("before the error")
        panel.get_by_role("button", name="Dismiss").click()
        expect(panel).to_have_count(0)
        wait_until(lambda: any(s == "stderr" and "KeyError" in t for s, t in logs), 10,
                   "the traceback in the terminal's log", 0.1)


def test_ui_stays_responsive_while_python_computes(pyshell_browser, tmp_path: Path, pyshell_folders) -> None:
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
    app = write_app(tmp_path / "probe", busy, ui=PROBE_UI)
    with open_app(pyshell_browser, app, pyshell_folders) as opened:
        page = opened.page
        page.click("#go")
        # While Python loops in the worker, the page's own thread still answers.
        assert page.evaluate("1 + 1") == 2
        assert page.locator("#out").inner_text() == "idle"
        expect(page.locator("#out")).to_have_text(str(sum(range(30_000_000))), timeout=120_000)
