"""debounce/throttle in the page, timers in the worker, all in real Pyodide + Chromium; and
`pyshell dev` keeping timers in step with the saved code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import dev_session, open_app, write_app
from pyshell.testing import wait_until_idle

pytestmark = pytest.mark.page

APP = '''
import asyncio
import json
import time

from pyshell import dom

seen = {"debounced": [], "throttled": []}
state = {"ticks": 0}


def show():
    dom.select("#out").text = json.dumps(seen)


@dom.on("input", "#deb", debounce=100)
def debounced(event):
    seen["debounced"].append(event.value)
    show()


@dom.on("input", "#thr", throttle=100)
def throttled(event):
    seen["throttled"].append(event.value)
    show()


def main():
    dom.later(150, lambda: setattr(dom.select("#later"), "text", "fired"))
    show()


@dom.on("click", "#start")
def start(event):
    def tick():
        state["ticks"] += 1
        dom.select("#ticks").text = str(state["ticks"])
        if state["ticks"] == 5:
            ticker.cancel()

    ticker = dom.every(50, tick)


@dom.on("click", "#cancel")
def cancel(event):
    dom.later(300, lambda: setattr(dom.select("#never"), "text", "ran")).cancel()
    dom.select("#never").text = "cancelled"


async def slow_write():
    await asyncio.sleep(0.05)
    before = await dom.select("#ticks").get("text")
    dom.select("#async").text = f"async after {before}"


@dom.on("click", "#go-async")
def go_async(event):
    dom.later(10, slow_write)


def broken():
    raise ValueError("from a timer")


@dom.on("click", "#go-broken")
def go_broken(event):
    dom.later(10, broken)


def spin():
    dom.select("#spun").text = "spinning"
    dom.flush()
    end = time.monotonic() + 2
    while time.monotonic() < end:
        pass
    dom.select("#spun").text = "done"


@dom.on("click", "#go-spin")
def go_spin(event):
    dom.later(10, spin)


@dom.on("click", "#go-chunks")
async def chunks(event):
    for i in range(150):
        end = time.monotonic() + 0.01
        while time.monotonic() < end:
            pass
        dom.select("#chunks").text = f"chunk {i}"
        await asyncio.sleep(0)
    dom.select("#chunks").text = "all chunks"


@dom.on("click", "#ping")
def ping(event):
    dom.select("#pong").text = "pong"
'''
PAGE = ('<!doctype html><html><head><title>timing</title></head><body>'
        '<input id="deb"><input id="thr"><div id="out"></div><div id="later"></div>'
        '<div id="ticks"></div><div id="never"></div><div id="async"></div><div id="spun"></div>'
        '<div id="chunks"></div><div id="pong"></div>'
        + "".join(f'<button id="{b}">{b}</button>'
                  for b in ("start", "cancel", "go-async", "go-broken", "go-spin", "go-chunks",
                            "ping"))
        + "</body></html>")

FIRE_FAST = """([id, count]) => {
  const input = document.getElementById(id);
  for (let i = 0; i < count; i++) {
    input.value = `v${i}`;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}"""

FIRE_FOR = """([id, ms, every]) => new Promise((done) => {
  const input = document.getElementById(id);
  const start = performance.now();
  let i = 0;
  const timer = setInterval(() => {
    input.value = `v${i++}`;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    const elapsed = performance.now() - start;
    if (elapsed >= ms) { clearInterval(timer); done({ fired: i, elapsed }); }
  }, every);
})"""


@pytest.fixture
def timing_page(pyshell_browser, tmp_path: Path, pyshell_folders: dict[str, Path]):
    app = write_app(tmp_path / "probe", APP, ui=PAGE)
    with open_app(pyshell_browser, app, pyshell_folders, cold=True) as opened:
        yield opened.page


def python_saw(page) -> dict[str, list[str]]:
    wait_until_idle(page)  # held (debounced, throttled) events count as busy too
    seen: dict[str, list[str]] = json.loads(page.locator("#out").inner_text())
    return seen


def test_debounce_sends_only_the_last_of_a_burst(timing_page) -> None:
    page = timing_page
    page.evaluate(FIRE_FAST, ["deb", 50])
    assert page.locator("html").get_attribute("data-pyshell-busy") == "1"  # held in the page
    assert python_saw(page)["debounced"] == ["v49"]
    page.evaluate(FIRE_FAST, ["deb", 3])
    assert python_saw(page)["debounced"] == ["v49", "v2"]


def test_throttle_sends_at_most_one_per_interval_and_the_last(timing_page) -> None:
    page = timing_page
    fired = page.evaluate(FIRE_FOR, ["thr", 1000, 10])
    got = python_saw(page)["throttled"]
    bound = int(fired["elapsed"] // 100) + 2  # the first at once, one per interval, the last
    assert 8 <= len(got) <= bound, (len(got), fired)
    assert fired["fired"] > 3 * len(got)  # most never crossed to the worker
    assert got[0] == "v0" and got[-1] == f"v{fired['fired'] - 1}"


def test_timers_run_cancel_await_fail_and_count_as_busy(timing_page) -> None:
    page = timing_page
    expect(page.locator("#later")).to_have_text("fired")
    page.click("#start")
    expect(page.locator("#ticks")).to_have_text("5")
    page.click("#cancel")
    expect(page.locator("#never")).to_have_text("cancelled")
    page.click("#go-async")
    expect(page.locator("#async")).to_have_text("async after 5")
    page.wait_for_timeout(400)  # the test: eight more intervals, in which nothing may tick
    expect(page.locator("#ticks")).to_have_text("5")  # every() stopped at its cancel()
    expect(page.locator("#never")).to_have_text("cancelled")  # the cancelled later() never ran

    page.click("#go-broken")
    panel = page.locator("#pyshell-error")
    expect(panel).to_contain_text("ValueError: from a timer")
    expect(panel).to_contain_text("in broken")
    assert "dom.py" not in panel.inner_text()
    panel.get_by_role("button", name="Dismiss").click()

    page.click("#go-spin")
    expect(page.locator("#spun")).to_have_text("spinning")
    assert page.locator("html").get_attribute("data-pyshell-busy") == "1"  # the timer's run
    wait_until_idle(page)
    expect(page.locator("#spun")).to_have_text("done")


# ---- pyshell dev ------------------------------------------------------------------------------
DEV_APP = '''
from pyshell import dom

def top():
    dom.select("#top").text = "top {version}"
    dom.select("#count").text = str(len(dom._timers))

def started():
    dom.select("#started").text = "started {version}"

ticker = dom.every(50, top)

def main():
    dom.every(50, started)
'''


def test_dev_reload_restarts_top_level_timers_and_runs_new_code_in_the_others(
        pyshell_browser, tmp_path: Path, pyshell_folders: dict[str, Path]) -> None:
    app_dir = write_app(tmp_path / "probe", DEV_APP.format(version="v1"),
                        ui='<!doctype html><html><head><title>dev</title></head>'
                           '<body><p id="top"></p><p id="started"></p>'
                           '<p id="count"></p></body></html>')
    with dev_session(pyshell_browser, app_dir, pyshell_folders) as opened:
        page = opened.page
        expect(page.locator("#top")).to_have_text("top v1")
        expect(page.locator("#started")).to_have_text("started v1")
        page.evaluate("window.__marker = 1")  # a page reload would clear it
        (app_dir / "app" / "main.py").write_text(DEV_APP.format(version="v2"))
        expect(page.locator("#top")).to_have_text("top v2")
        expect(page.locator("#started")).to_have_text("started v2")
        page.wait_for_timeout(300)  # the test: six more ticks, and the count stays
        expect(page.locator("#count")).to_have_text("2")  # replaced, not doubled
        assert page.evaluate("window.__marker") == 1


def test_an_async_handler_that_yields_lets_other_events_in(timing_page) -> None:
    """The README's advice for long work: chunks with `await asyncio.sleep(0)` between."""
    page = timing_page
    page.click("#go-chunks")
    expect(page.locator("#chunks")).to_contain_text("chunk")  # progress shows as it goes
    page.click("#ping")
    expect(page.locator("#pong")).to_have_text("pong")
    assert page.locator("#chunks").inner_text() != "all chunks"  # answered mid-way
    expect(page.locator("#chunks")).to_have_text("all chunks", timeout=30_000)
