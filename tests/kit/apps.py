"""The one app factory, permission grants, and apps opened in Chromium on the real server."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .waits import wait_until

BLANK_UI = "<html><head></head><body><pre id=out></pre></body></html>"
"""The default page: Python writes what it found into #out."""

PROBE_UI = ('<!doctype html><html><head><title>probe</title></head>'
            '<body><div id="out">static</div><ul id="list"></ul>'
            '<button id="go">go</button></body></html>')
"""A page with static text in #out, an empty #list and a #go button."""


def write_app(root: Path, main: str = "", extra_toml: str = "", *, name: str = "probe",
              project: str = "", ui: str = BLANK_UI, files: dict[str, str] | None = None
              ) -> Path:
    """A minimal app in ``root``: ``main`` is app/main.py, ``extra_toml`` goes after
    [tool.pyshell] and ``project`` after the name in [project], ``ui`` is ui/index.html;
    ``files`` (relative path -> text) are written last, over any of those (a whole
    pyproject.toml too)."""
    written = {
        "pyproject.toml": f'[project]\nname = "{name}"\n{project}[tool.pyshell]\n'
                          f'entry = "app.main:main"\n{extra_toml}',
        "ui/index.html": ui,
        "app/__init__.py": "",
        "app/main.py": main,
        **(files or {}),
    }
    for rel, text in written.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def grant_toml(path: Path | str, mount: str, mode: str) -> str:
    return f'[[tool.pyshell.permissions.fs]]\npath = "{path}"\nmount = "{mount}"\nmode = "{mode}"\n'


@dataclasses.dataclass
class Opened:
    """An app on the real server, in a page of its own browser context."""

    page: Any
    server: Any
    logs: list[tuple[str, str]]
    """What the app printed: ``(stream, text)``."""
    console: list[str]
    """The page's console messages: ``"type: text"``."""


@contextlib.contextmanager
def open_app(browser: Any, app_dir: Path, folders: dict[str, Path] | None = None, *,
             wait: str | None = "started", cold: bool = False, dialogs: Any = None,
             fast_path: bool = True, timeout_ms: int = 90_000, init_script: str | None = None,
             context_options: dict[str, Any] | None = None, **options: Any
             ) -> Iterator[Opened]:
    """Serve the app (prepared as `pyshell run` does) and open it in a new context; closed
    and stopped when the block ends, whatever fails.

    ``wait``: "started" (Python ran main(); fails with the app's error otherwise), "settled"
    (started or failed), or None (just loaded). ``cold``: start-up snapshots off.
    ``init_script``: runs in the page before any of its own. ``context_options``: Playwright's
    new_context keywords. ``options``: the app server's keywords (dev, on_dev_report...)."""
    from pyshell import config
    from pyshell.testing import app_server, wait_until_started

    app = config.load(app_dir)
    if cold:
        app = dataclasses.replace(app, snapshot=False)
    logs: list[tuple[str, str]] = []
    server = app_server(app, folders or {}, log=lambda s, t: logs.append((s, t)), **options)
    server.start()
    context = None
    try:
        server.use_dialogs(dialogs)
        server.fs_fast_path = fast_path
        context = browser.new_context(**(context_options or {}))
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.goto(server.launch_url())
        if wait == "started":
            wait_until_started(page, timeout_ms=timeout_ms)
        elif wait == "settled":
            page.locator("html[data-pyshell=ready], html[data-pyshell=error]").wait_for(
                state="attached", timeout=timeout_ms)
        yield Opened(page, server, logs, console)
    finally:
        if context is not None:
            context.close()
        server.stop()


@contextlib.contextmanager
def dev_session(browser: Any, app_dir: Path, folders: dict[str, Path] | None = None, *,
                wait: str = "started") -> Iterator[Opened]:
    """The app served in dev mode with the watcher running, once the page's dev socket is
    connected. The page has ``reports`` (what it reported: boots, updates) and ``logs``."""
    from pyshell import config
    from pyshell.dev.reload import Hub, forward
    from pyshell.dev.watcher import Watcher

    hub = Hub()
    reports: list[dict[str, Any]] = []
    with open_app(browser, app_dir, folders, wait=wait, dev=hub,
                  on_dev_report=reports.append) as opened:
        watcher = Watcher(app_dir, forward(config.load(app_dir), hub))
        watcher.start()
        try:
            wait_until(lambda: hub.clients == 1, 10, "the page's dev socket")
            opened.page.reports = reports
            opened.page.logs = opened.logs
            yield opened
        finally:
            watcher.stop()


def run_app_page(browser: Any, app: Path, appdata: Path, dialogs: Any = None,
                 timeout_ms: int = 90_000, fast_path: bool = True) -> str:
    """Start the app on the real server in Chromium; the text its Python puts in #out."""
    from playwright.sync_api import expect

    with open_app(browser, app, {"appdata": appdata}, dialogs=dialogs, fast_path=fast_path,
                  timeout_ms=timeout_ms) as opened:
        out = opened.page.locator("#out")
        expect(out).not_to_be_empty(timeout=timeout_ms)
        text: str = out.inner_text()
        return text


@contextlib.contextmanager
def app_with_buttons(browser: Any, app: Path, appdata: Path, buttons: list[str],
                     fast_path: bool = True) -> Iterator[tuple[Any, Any]]:
    """The app's page and server, with a button per id before #out, once main() has said
    "ready"."""
    from playwright.sync_api import expect

    index = app / "ui" / "index.html"
    index.write_text(index.read_text().replace(
        "<pre id=out>", "".join(f"<button id={b}>{b}</button>" for b in buttons) + "<pre id=out>"))
    with open_app(browser, app, {"appdata": appdata}, fast_path=fast_path) as opened:
        expect(opened.page.locator("#out")).to_have_text("ready")
        yield opened.page, opened.server


def host_package(root: Path, monkeypatch: Any, name: str, main: str) -> Path:
    """A package ``name`` in ``root``, importable on the host for as long as the test runs
    (no bytecode written: a rewrite within one mtime tick is still read); its main.py."""
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(root))
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    path = root / name / "main.py"
    path.write_text(main)
    return path
