"""A pytest plugin for app authors: the app's Python in real Pyodide, in headless Chromium.

``pyshell_page`` is a Playwright page showing the app (served by the real app server),
opened once Python has run the entry point, so a test can click and read like a user::

    def test_add(pyshell_page):
        pyshell_page.fill("#new-title", "Buy milk")
        pyshell_page.press("#new-title", "Enter")
        expect(pyshell_page.locator("#list")).to_contain_text("Buy milk")

Every test that uses the page runs twice: booted cold, and restored from the app's start-up
snapshot (made once per session, in a temporary folder), since a restored app must behave
exactly as a cold one. The app folder is the pytest rootdir unless the ``pyshell_app_dir``
fixture is overridden.
Chromium is ``PYSHELL_CHROMIUM``, else the system's (``chromium`` on PATH), else the one
``python -m playwright install chromium`` fetched (what the generated CI workflow uses).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import pkgutil
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import config, permissions, runtime, snapshots
from .capabilities import Grant
from .deps.service import prepare
from .packages import Packages
from .server import AppServer
from .snapshots import SnapshotStore

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
BOOT_TIMEOUT_MS = 90_000


def pytest_configure(config: pytest.Config) -> None:
    """Import anyio's modules now, on the main thread. pytest rewrites the modules of every
    plugin's distribution as they are imported (anyio has a plugin), parsing them with
    ``ast.parse``, which Python 3.11 cannot run in two threads at once (SystemError). The
    app server parses the app's files in a thread of its own (start-up snapshots) while a
    request may be the first to need a module anyio loads lazily (``open_file``, for a file
    response): that response would be cut off."""
    core = importlib.import_module("anyio._core")
    for found in pkgutil.iter_modules(core.__path__, "anyio._core."):
        with contextlib.suppress(ImportError):
            importlib.import_module(found.name)


def chromium_path() -> str | None:
    """``PYSHELL_CHROMIUM``, the system's Chromium, or None: Playwright's own Chromium."""
    return os.environ.get("PYSHELL_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@pytest.fixture
def pyshell_app_dir(request: pytest.FixtureRequest) -> Path:
    """The app under test; override this fixture to test another folder."""
    return Path(request.config.rootpath)


BOOTS = ("cold", "snapshot")


@pytest.fixture(params=BOOTS)
def pyshell_boot(request: pytest.FixtureRequest) -> str:
    """How the app starts in this test: cold, or restored from its start-up snapshot."""
    boot: str = request.param
    return boot


@pytest.fixture(scope="session")
def pyshell_snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Start-up snapshots made by tests: never the user's cache."""
    return tmp_path_factory.mktemp("pyshell-snapshots")


def make_folders(root: Path) -> dict[str, Path]:
    """Empty stand-ins for {appdata}, {documents}, {home} and {temp} under ``root``."""
    folders = {name: root / name for name in ("appdata", "documents", "home", "temp")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return folders


@pytest.fixture
def pyshell_folders(tmp_path: Path) -> dict[str, Path]:
    """Stand-ins for {appdata}, {documents}, {home} and {temp}: tests never touch yours.
    Override it to seed them; the launch that makes the app's start-up snapshot gets a
    copy of what the override put there (see ``ensure_snapshot``)."""
    return make_folders(tmp_path / "folders")


def prepared(app: config.AppConfig, folders: dict[str, Path] | None = None
             ) -> tuple[runtime.Runtime, list[Grant], Packages]:
    """What the app server is handed, prepared as `pyshell run` prepares it: the runtime,
    the app's declared grants with ``folders`` standing in for {appdata}, {documents}...
    (tests never touch the user's), and its locked wheels."""
    rt = runtime.ensure()
    return rt, permissions.grants(app, folders), prepare(app, rt)


def app_server(app: config.AppConfig, folders: dict[str, Path] | None = None,
               **options: Any) -> AppServer:
    """An app server for ``app``, prepared (see ``prepared``), not started yet.
    ``options``: ``AppServer``'s keywords (log, dev, snapshot_dir, opener...)."""
    return AppServer(app, *prepared(app, folders), **options)


class LoggedServer(AppServer):
    """An app server that keeps what the app printed, ``(stream, text)`` in ``logs``, so a
    failing test can show it."""

    def __init__(self, app: config.AppConfig, folders: dict[str, Path],
                 snapshot_dir: Path | None) -> None:
        self.logs: list[tuple[str, str]] = []
        super().__init__(app, *prepared(app, folders), log=self._record,
                         snapshot_dir=snapshot_dir)

    def _record(self, stream: str, text: str) -> None:
        self.logs.append((stream, text))


def start_server(app_dir: Path, folders: dict[str, Path], cold: bool = False,
                 snapshot_dir: Path | None = None) -> LoggedServer:
    """A started app server; its ``logs`` list collects the app's print() output.
    ``cold``: start-up snapshots off, whatever the app says."""
    app = config.load(app_dir)
    server = LoggedServer(dataclasses.replace(app, snapshot=False) if cold else app, folders,
                          snapshot_dir)
    server.start()
    return server


def ensure_snapshot(browser: Any, app_dir: Path, snapshot_dir: Path, scratch: Path,
                    seeded: dict[str, Path] | None = None) -> None:
    """Launch the app once so that its start-up snapshot exists, on a copy of ``seeded``
    (the test's folders, with what the test put there) made in ``scratch``: the launch
    sees the data the test's own launch will, and what it writes stays out of the test's
    folders. Nothing is launched (or copied) when the snapshot is already there."""
    app = config.load(app_dir)
    if not app.snapshot:
        pytest.skip("this app turns start-up snapshots off ([tool.pyshell] snapshot = false)")
    rt = runtime.ensure()
    store = SnapshotStore(app.name, snapshots.key(rt, prepare(app, rt), app), root=snapshot_dir)
    if any(store.folder.glob(f"{store.key}-*.snap")):
        return
    server = start_server(app_dir, copy_folders(seeded or {}, scratch), snapshot_dir=snapshot_dir)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page)
        stored = page.locator("html[data-pyshell-snapshot]")
        stored.wait_for(state="attached", timeout=BOOT_TIMEOUT_MS)
        saved = stored.get_attribute("data-pyshell-snapshot") == "saved"
        context.close()
        if not saved:
            notes = [text for _, text in server.logs if "snapshot" in text]
            pytest.skip(f"no start-up snapshot for this app: {notes[-1] if notes else '?'}")
    finally:
        server.stop()


def copy_folders(folders: dict[str, Path], root: Path) -> dict[str, Path]:
    """Stand-in folders under ``root`` holding a copy of what ``folders`` hold."""
    copies = make_folders(root)
    for name, folder in folders.items():
        if folder.is_dir():
            shutil.copytree(folder, root / name, symlinks=True, dirs_exist_ok=True)
            copies[name] = root / name
    return copies


@pytest.fixture
def pyshell_server(pyshell_app_dir: Path, pyshell_folders: dict[str, Path], pyshell_boot: str,
                   pyshell_browser: Any, pyshell_snapshot_dir: Path, tmp_path: Path
                   ) -> Iterator[LoggedServer]:
    """The real app server for the app, with the app's print() collected in ``.logs``."""
    if pyshell_boot == "snapshot":
        ensure_snapshot(pyshell_browser, pyshell_app_dir, pyshell_snapshot_dir,
                        tmp_path / "snapshot-run", seeded=pyshell_folders)
    server = start_server(pyshell_app_dir, pyshell_folders, cold=pyshell_boot == "cold",
                          snapshot_dir=pyshell_snapshot_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pyshell_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium_path(),
                                         args=list(CHROMIUM_ARGS))
        except Exception as exc:  # playwright's Error: no browser where it looked
            raise pytest.UsageError(
                "pyshell.testing needs Chromium: install your system's chromium package, "
                "run `python -m playwright install chromium`, or set PYSHELL_CHROMIUM to "
                f"its path ({str(exc).splitlines()[0]})") from None
        yield browser
        browser.close()


@pytest.fixture
def pyshell_page(pyshell_browser: Any, pyshell_server: LoggedServer, pyshell_boot: str
                 ) -> Iterator[Any]:
    """A page with the app booted; fails with the app's own error if Python did not start."""
    context = pyshell_browser.new_context()
    yield open_app(context, pyshell_server, pyshell_boot)
    context.close()


@pytest.fixture
def pyshell_restart(pyshell_browser: Any, pyshell_server: LoggedServer, pyshell_app_dir: Path,
                    pyshell_folders: dict[str, Path], pyshell_boot: str,
                    pyshell_snapshot_dir: Path) -> Iterator[Any]:
    """Call it to quit the app and start it again (same data folders); returns the new page."""
    started: list[tuple[LoggedServer, Any]] = []

    def restart() -> Any:
        for context in pyshell_browser.contexts:  # quit as the window does: handlers finish
            for page in context.pages:
                wait_until_idle(page)
        pyshell_server.stop()
        for server, context in started:
            context.close()
            server.stop()
        server = start_server(pyshell_app_dir, pyshell_folders, cold=pyshell_boot == "cold",
                              snapshot_dir=pyshell_snapshot_dir)
        context = pyshell_browser.new_context()
        started.append((server, context))
        return open_app(context, server, pyshell_boot)

    yield restart
    for server, context in started:
        context.close()
        server.stop()


def open_app(context: Any, server: LoggedServer, boot: str) -> Any:
    """A new page showing the app once it has started, the way ``boot`` says."""
    page = context.new_page()
    page.goto(server.launch_url())
    wait_until_started(page)
    booted = page.locator("html").get_attribute("data-pyshell-boot")
    if booted != boot:
        notes = "\n".join(text for _, text in server.logs)
        pytest.fail(f"the app booted {booted}, not {boot}:\n{notes}", pytrace=False)
    return page


def wait_until_idle(page: Any, timeout_ms: int = BOOT_TIMEOUT_MS) -> None:
    """Wait until every event the page sent to Python has been handled."""
    page.locator("html:not([data-pyshell-busy])").wait_for(state="attached", timeout=timeout_ms)


def wait_until_started(page: Any, timeout_ms: int = BOOT_TIMEOUT_MS) -> None:
    # A selector wait, not wait_for_function: the app's CSP rightly forbids eval.
    page.locator("html[data-pyshell=ready], html[data-pyshell=error]").wait_for(
        state="attached", timeout=timeout_ms)
    if page.locator("html").get_attribute("data-pyshell") == "error":
        panel = page.locator("#pyshell-error pre")
        text = panel.inner_text() if panel.count() else "(no error text)"
        pytest.fail(f"the app failed to start:\n{text}", pytrace=False)
