"""Closing the window: pyshell.app's on_close/on_quit in the worker's Python (on the host,
with a recording transport), and the host's Closer that asks the page before it closes."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from kit.apps import host_package, write_app
from kit.waits import wait_until
from pyshell import app, bootstrap, config, dom
from pyshell.errors import PyshellError
from pyshell.lifecycle import ASK_PAGE, Closer
from pyshell.transport import RecordingTransport


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def page() -> Iterator[RecordingTransport]:
    transport = RecordingTransport(answer=lambda op: {"get": "typed"}.get(op[0]))
    dom.use_transport(transport)
    app.reset()
    yield transport
    dom.use_transport(None)
    app.reset()


def test_close_runs_close_handlers_then_quit_handlers(page: RecordingTransport) -> None:
    ran: list[str] = []

    @app.on_close
    def asked() -> None:
        ran.append("close")

    @app.on_quit
    async def saving() -> None:
        ran.append("quit:" + await dom.select("#x").get("value"))

    assert run(bootstrap.close()) is True
    assert ran == ["close", "quit:typed"]


def test_a_veto_keeps_the_window_and_skips_quit(page: RecordingTransport) -> None:
    ran: list[str] = []
    answers = [False, None]

    @app.on_close
    async def unsaved() -> bool | None:
        return answers.pop(0)

    @app.on_close
    def other() -> None:
        ran.append("other close")  # every close handler runs, even after a veto

    @app.on_quit
    def saving() -> None:
        ran.append("quit")

    assert run(bootstrap.close()) is False
    assert ran == ["other close"]
    assert run(bootstrap.close()) is True  # the veto lifted
    assert ran == ["other close", "other close", "quit"]


def test_a_failing_handler_is_shown_and_neither_vetoes_nor_stops_the_others(
        page: RecordingTransport) -> None:
    ran: list[str] = []

    @app.on_close
    def broken() -> None:
        raise RuntimeError("close broke")

    @app.on_quit
    def broken_quit() -> None:
        raise ValueError("quit broke")

    @app.on_quit
    def fine() -> None:
        ran.append("fine")

    assert run(bootstrap.close()) is True
    assert ran == ["fine"]
    assert "RuntimeError: close broke" in page.errors[0]
    assert "ValueError: quit broke" in page.errors[1]


def test_decorating_something_else_is_refused(page: RecordingTransport) -> None:
    with pytest.raises(TypeError, match="@app.on_quit decorates a function"):
        app.on_quit(42)  # type: ignore[arg-type]


HOOK_APP = '''
from pyshell import app

@app.on_quit
def save():
    print("{version} save")

@app.on_close
def ask():
    print("{version} ask")
'''


def test_dev_reload_keeps_hooks_in_step(page: RecordingTransport, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    main = host_package(tmp_path, monkeypatch, "hookapp", HOOK_APP.format(version="v1"))
    try:
        assert run(bootstrap.start("hookapp.main", page))
        main.write_text(HOOK_APP.format(version="v2"))
        assert run(bootstrap.reload(["hookapp.main"])) is True
        assert len(app.quit_handlers()) == len(app.close_handlers()) == 1  # replaced
        run(bootstrap.close())
        assert capsys.readouterr().out == "v2 ask\nv2 save\n"
        # The on_close handler deleted: gone after the reload.
        main.write_text(HOOK_APP.format(version="v3").split("@app.on_close")[0])
        assert run(bootstrap.reload(["hookapp.main"])) is True
        assert app.close_handlers() == [] and len(app.quit_handlers()) == 1
        # A reload that fails keeps what was registered.
        main.write_text("raise RuntimeError('half')\n")
        assert run(bootstrap.reload(["hookapp.main"])) is False
        assert len(app.quit_handlers()) == 1
    finally:
        for name in ("hookapp.main", "hookapp"):
            sys.modules.pop(name, None)


CLOSING_APP = '''
import time
from pathlib import Path

from pyshell import app, dom

saves = 0
closes = 0


def main():
    dom.select("body").append(dom.create("button", text="Save", attrs={"id": "save"}))
    dom.select("#out").text = "ready"


@dom.on("click", "#save")
def slow_save(event):
    """50 writes with busy work between them (no sleep: Python really is running)."""
    global saves
    saves += 1
    path = Path(f"/data/save-{saves}.txt")
    for step in range(50):
        until = time.monotonic() + 0.03
        while time.monotonic() < until:
            pass
        with path.open("a") as f:
            f.write(f"step {step}\\n")
    with path.open("a") as f:
        f.write("done\\n")


@app.on_close
def unsaved_changes():
    """The first close is refused (as after "unsaved changes - keep editing?")."""
    global closes
    closes += 1
    if closes == 1:
        dom.select("#out").text = "kept open"
        return False
    return None


@app.on_quit
async def save_on_quit():
    Path("/data/quit.txt").write_text(f"saved on quit after {saves} saves, {closes} closes")
'''


# ---- the host side ----------------------------------------------------------------------------
class FakeEvent:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def __iadd__(self, handler: Any) -> FakeEvent:
        self.handlers.append(handler)
        return self

    def set(self) -> bool:
        """As pywebview: True when a handler returned False (the close is cancelled)."""
        return any(h() is False for h in self.handlers)


class FakeWindow:
    def __init__(self) -> None:
        self.events = type("Events", (), {})()
        self.events.closing = FakeEvent()
        self.scripts: list[str] = []
        self.destroyed = threading.Event()
        self.closes = 0

    def run_js(self, script: str) -> bool:
        self.scripts.append(script)
        return True

    def destroy(self) -> None:
        if not self.events.closing.set():  # pywebview's destroy goes through closing too
            self.closes += 1
            self.destroyed.set()


def test_a_close_asks_the_page_and_closes_on_its_answer() -> None:
    said: list[str] = []
    closer, window = Closer(5, said.append), FakeWindow()
    closer.attach(window)
    assert window.events.closing.set() is True  # the user's close is cancelled...
    wait_until(lambda: window.scripts, 5, "the page asked", 0.01)
    assert window.scripts == [ASK_PAGE]  # ...and the page asked
    assert closer.request() is False  # a second close while asking: under way
    assert not window.destroyed.is_set()
    closer.answer(True)
    assert window.destroyed.is_set() and window.closes == 1 and said == []


def test_a_veto_keeps_the_window_and_the_next_close_asks_again() -> None:
    closer, window = Closer(5, print), FakeWindow()
    closer.attach(window)
    assert closer.request() is True
    closer.answer(False)
    time.sleep(0.05)  # the test: a while after the veto, and the window is still there
    assert not window.destroyed.is_set()
    assert closer.request() is True
    wait_until(lambda: len(window.scripts) == 2, 5, "the page asked again", 0.01)
    closer.answer(True)
    assert window.destroyed.is_set()


def test_the_budget_closes_a_page_that_never_answers() -> None:
    said: list[str] = []
    closer, window = Closer(0.2, said.append), FakeWindow()
    closer.attach(window)
    started = time.monotonic()
    assert closer.request() is True
    assert window.destroyed.wait(5)
    assert 0.15 < time.monotonic() - started < 3
    assert said == ["pyshell: the app did not finish closing within its quit budget of 0.2 s "
                    "([tool.pyshell.window] quit-budget); closing anyway"]
    closer.answer(True)  # too late: nothing happens twice
    assert window.closes == 1


def test_an_answer_nobody_asked_for_does_nothing() -> None:
    closer, window = Closer(5, print), FakeWindow()
    closer.attach(window)
    closer.answer(True)
    assert not window.destroyed.is_set()


def test_quit_budget_is_read_and_checked(tmp_path: Path) -> None:
    def load(window_toml: str) -> config.AppConfig:
        return config.load(write_app(tmp_path / "q", extra_toml="[tool.pyshell.window]\n"
                                     + window_toml, name="q"))

    assert load("").window.quit_budget == 5.0
    assert load("quit-budget = 12\n").window.quit_budget == 12.0
    with pytest.raises(PyshellError, match="quit-budget must be a number of seconds"):
        load("quit-budget = 0\n")
