"""axe-core against what a user of a pyshell app meets: the template app (light and dark,
with an editor open), the loading state while Python starts, the error panel and the dev
overlay. No serious or critical violation is allowed; the panels also take focus, close on
Esc and give focus back.

axe-core is pinned and installed by scripts/setup.sh into pyshell's tools cache; without it
these tests fail (they are not skipped). It goes into the page as a script tag, so the
browser contexts here bypass the app's Content-Security-Policy (no inline scripts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kit.apps import dev_session, write_app
from pyshell.testing import LoggedServer, start_server, wait_until_idle, wait_until_started

pytestmark = pytest.mark.page

AXE = (Path(os.environ.get("PYSHELL_CACHE_DIR", Path.home() / ".cache/pyshell"))
       / "tools/axe-core/node_modules/axe-core/axe.min.js")
AXE_VERSION = "4.14.1"  # as scripts/setup.sh pins it

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`) }));
}"""


def check_with_axe(page: Any, what: str) -> None:
    """Run axe-core in ``page``; fail on any serious or critical violation, listing them."""
    assert AXE.is_file(), f"axe-core is missing ({AXE}): run scripts/setup.sh"
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(path=AXE)
    assert page.evaluate("axe.version") == AXE_VERSION
    violations = page.evaluate(RUN_AXE)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    report = "\n".join(f"{v['impact']}: {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"])
                       for v in serious)
    assert not serious, f"axe-core on {what}:\n{report}"


class CspFreeBrowser:
    """The session's browser, making contexts that let the axe-core script tag in."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def new_context(self, **options: Any) -> Any:
        return self.browser.new_context(bypass_csp=True, **options)


@pytest.fixture
def served(pyshell_browser: Any, pyshell_folders: dict[str, Path]
           ) -> Iterator[Any]:
    """``served(app_dir, **context_options)`` -> (context, server), stopped after the test."""
    opened: list[tuple[Any, LoggedServer]] = []

    def serve(app: Path, **options: Any) -> tuple[Any, LoggedServer]:
        server = start_server(app, pyshell_folders, cold=True)
        context = CspFreeBrowser(pyshell_browser).new_context(**options)
        opened.append((context, server))
        return context, server

    yield serve
    for context, server in opened:
        context.close()
        server.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_template_app(served, app_dir: Path, scheme: str) -> None:
    context, server = served(app_dir, color_scheme=scheme)
    page = context.new_page()
    page.goto(server.launch_url())
    wait_until_started(page)
    expect(page.locator("#list .task")).to_have_count(3)
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == "light dark"
    check_with_axe(page, f"the template ({scheme})")
    page.locator(".title").first.click()  # an editor open, a done task, a filter pressed
    expect(page.locator(".edit-input")).to_be_focused()
    page.keyboard.press("Alt+3")
    expect(page.locator("#list .task")).to_have_count(1)
    wait_until_idle(page)
    check_with_axe(page, f"the template with an editor open ({scheme})")


def test_focus_rings_show_in_forced_colors_mode(served, app_dir: Path) -> None:
    context, server = served(app_dir, forced_colors="active")
    page = context.new_page()
    page.goto(server.launch_url())
    wait_until_started(page)
    for selector in ["#new-title", ".toggle", ".title", ".delete", '[data-filter="all"]']:
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")  # keyboard focus (:focus-visible), then back
        page.keyboard.press("Tab")
        ring = page.locator(selector).first.evaluate(
            "el => [el === document.activeElement, getComputedStyle(el).outlineStyle,"
            " getComputedStyle(el).outlineColor, getComputedStyle(el).outlineWidth]")
        assert ring[0] and ring[1] == "solid" and ring[3] != "0px", (selector, ring)
        assert ring[2] not in ("transparent", "rgba(0, 0, 0, 0)"), (selector, ring)


def test_the_loading_state(served, app_dir: Path) -> None:
    """Python's start held back at the edge (the worker script not answered yet)."""
    context, server = served(app_dir)
    held: list[Any] = []
    context.route("**/_pyshell/wasm/worker.mjs", lambda route: held.append(route))
    page = context.new_page()
    page.goto(server.launch_url(), wait_until="domcontentloaded")
    expect(page.locator("html")).to_have_attribute("data-pyshell", "booting")
    expect(page.locator("body")).to_have_attribute("aria-busy", "true")
    assert held, "the worker script was not held back"
    expect(page.locator("#empty")).to_have_text("Starting Python…")
    check_with_axe(page, "the loading state")
    held[0].continue_()
    wait_until_started(page)
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")


# A small app's page that is accessible itself: what axe finds here is pyshell's.
ERROR_PAGE = ('<!doctype html><html lang="en"><head><title>probe</title></head><body><main>'
              '<h1>probe</h1><p id="out">static</p><button id="go">go</button></main></body></html>')
ERROR_APP = '''
from pyshell import dom


def main():
    dom.select("#out").text = "ready"


@dom.on("click", "#go")
def go(event):
    raise RuntimeError("boom in a handler")
'''


def expect_panel(page: Any, name: str, text: str) -> Any:
    panel = page.get_by_role("alertdialog", name=name)
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(text)
    expect(panel.get_by_role("button", name="Dismiss")).to_be_focused()
    return panel


def test_the_error_panel_when_the_entry_raises(served, tmp_path: Path) -> None:
    app = write_app(tmp_path / "probe", "def main():\n    raise RuntimeError('boom at start')\n",
                    ui=ERROR_PAGE)
    context, server = served(app)
    page = context.new_page()
    page.goto(server.launch_url())
    expect(page.locator("html")).to_have_attribute("data-pyshell", "error", timeout=90_000)
    panel = expect_panel(page, "Python error", "RuntimeError: boom at start")
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")
    check_with_axe(page, "the error panel")
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)


def test_the_error_panel_takes_focus_and_gives_it_back(served, tmp_path: Path) -> None:
    context, server = served(write_app(tmp_path / "probe", ERROR_APP, ui=ERROR_PAGE))
    page = context.new_page()
    page.goto(server.launch_url())
    wait_until_started(page)
    expect(page.locator("#out")).to_have_text("ready")
    page.locator("#go").focus()
    page.keyboard.press("Enter")
    panel = expect_panel(page, "Python error", "RuntimeError: boom in a handler")
    check_with_axe(page, "the error panel over the app")
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(page.locator("#go")).to_be_focused()
    page.keyboard.press("Enter")  # again, closed with its button this time
    panel = expect_panel(page, "Python error", "boom in a handler")
    page.keyboard.press("Enter")
    expect(panel).to_have_count(0)
    expect(page.locator("#go")).to_be_focused()


def test_the_dev_overlay(app_dir: Path, pyshell_browser: Any, pyshell_folders) -> None:
    main = app_dir / "app" / "main.py"
    good = main.read_text()
    broken = good.replace("def main() -> None:", "def main() -> None\n", 1)
    main.write_text(broken)  # a syntax error: the app cannot start
    with dev_session(CspFreeBrowser(pyshell_browser), app_dir, pyshell_folders,
                     wait="settled") as opened:
        page = opened.page
        expect_panel(page, "Python error", "SyntaxError")
        check_with_axe(page, "the dev overlay at start")
        main.write_text(good)
        expect(page.locator("#list .task")).to_have_count(3)
        expect(page.get_by_role("alertdialog")).to_have_count(0)

        page.locator("#new-title").focus()
        main.write_text(broken)  # broken while running: the overlay comes, takes focus
        expect_panel(page, "Python error", "SyntaxError")
        check_with_axe(page, "the dev overlay over the app")
        main.write_text(good)  # fixed: the overlay goes and focus goes back
        expect(page.get_by_role("alertdialog")).to_have_count(0)
        expect(page.locator("#new-title")).to_be_focused()


def test_a_failed_start_stops_the_templates_spinner(served, app_dir: Path) -> None:
    main = app_dir / "app" / "main.py"
    main.write_text(main.read_text() + "\n\ndef main() -> None:\n    raise RuntimeError('no')\n")
    context, server = served(app_dir)
    page = context.new_page()
    page.goto(server.launch_url())
    expect(page.locator("html")).to_have_attribute("data-pyshell", "error", timeout=90_000)
    expect(page.locator("#pyshell-error")).to_contain_text("RuntimeError: no")
    expect(page.locator(".loading")).to_be_hidden()  # no spinner turning beside the error
