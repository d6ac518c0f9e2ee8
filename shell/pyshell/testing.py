"""A pytest plugin for app authors: the app's Python in real Pyodide, in headless Chromium.

``pyshell_page`` is a Playwright page showing the app (served by the real app server),
opened once Python has run the entry point, so a test can click and read like a user::

    def test_add(pyshell_page):
        pyshell_page.fill("#new-title", "Buy milk")
        pyshell_page.press("#new-title", "Enter")
        expect(pyshell_page.locator("#list")).to_contain_text("Buy milk")

The app folder is the pytest rootdir unless the ``pyshell_app_dir`` fixture is overridden.
Chromium is Debian's ``/usr/bin/chromium`` unless ``PYSHELL_CHROMIUM`` names another.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import config, runtime
from .server import AppServer

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
BOOT_TIMEOUT_MS = 90_000


def chromium_path() -> str:
    found = os.environ.get("PYSHELL_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not found:
        raise pytest.UsageError("pyshell.testing needs Chromium: apt-get install chromium, "
                                "or set PYSHELL_CHROMIUM to its path")
    return found


@pytest.fixture
def pyshell_app_dir(request: pytest.FixtureRequest) -> Path:
    """The app under test; override this fixture to test another folder."""
    return Path(request.config.rootpath)


@pytest.fixture
def pyshell_folders(tmp_path: Path) -> dict[str, Path]:
    """Stand-ins for {appdata}, {documents}, {home} and {temp}: tests never touch yours."""
    folders = {name: tmp_path / "folders" / name for name in ("appdata", "documents", "home",
                                                               "temp")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def start_server(app_dir: Path, folders: dict[str, Path]) -> AppServer:
    """A started app server; its ``logs`` list collects the app's print() output."""
    logs: list[tuple[str, str]] = []
    server = AppServer(config.load(app_dir), runtime.ensure(),
                       log=lambda stream, text: logs.append((stream, text)), folders=folders)
    server.logs = logs  # type: ignore[attr-defined]
    server.start()
    return server


@pytest.fixture
def pyshell_server(pyshell_app_dir: Path, pyshell_folders: dict[str, Path]
                   ) -> Iterator[AppServer]:
    """The real app server for the app, with the app's print() collected in ``.logs``."""
    server = start_server(pyshell_app_dir, pyshell_folders)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pyshell_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def pyshell_page(pyshell_browser: Any, pyshell_server: AppServer) -> Iterator[Any]:
    """A page with the app booted; fails with the app's own error if Python did not start."""
    context = pyshell_browser.new_context()
    page = context.new_page()
    page.goto(pyshell_server.url)
    wait_until_started(page)
    yield page
    context.close()


@pytest.fixture
def pyshell_restart(pyshell_browser: Any, pyshell_server: AppServer, pyshell_app_dir: Path,
                    pyshell_folders: dict[str, Path]) -> Iterator[Any]:
    """Call it to quit the app and start it again (same data folders); returns the new page."""
    started: list[tuple[AppServer, Any]] = []

    def restart() -> Any:
        pyshell_server.stop()
        for server, context in started:
            context.close()
            server.stop()
        server = start_server(pyshell_app_dir, pyshell_folders)
        context = pyshell_browser.new_context()
        started.append((server, context))
        page = context.new_page()
        page.goto(server.url)
        wait_until_started(page)
        return page

    yield restart
    for server, context in started:
        context.close()
        server.stop()


def wait_until_started(page: Any, timeout_ms: int = BOOT_TIMEOUT_MS) -> None:
    # A selector wait, not wait_for_function: the app's CSP rightly forbids eval.
    page.locator("html[data-pyshell=ready], html[data-pyshell=error]").wait_for(
        state="attached", timeout=timeout_ms)
    if page.locator("html").get_attribute("data-pyshell") == "error":
        panel = page.locator("#pyshell-error pre")
        text = panel.inner_text() if panel.count() else "(no error text)"
        pytest.fail(f"the app failed to start:\n{text}", pytrace=False)
