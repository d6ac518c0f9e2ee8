"""More windows without a toolkit: the app side's routing of writes and handlers per
window (``pyshell.dom`` on a recording transport), the host's checks of what Python asks,
and the relay between pages over a real app server and real WebSockets. The pywebview
window is a stand-in here, at the edge; tests/test_windows_window.py runs real ones."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_server import request, token_header

from kit.apps import run_app_page, write_app
from kit.loops import run
from pyshell import config, contract, dom, windows
from pyshell.server import AppServer
from pyshell.testing import app_server
from pyshell.transport import RecordingTransport
from pyshell.windowmanager import WindowError, WindowOptions

SETTINGS = "<!doctype html><html><head><title>s</title></head><body><p id=x></p></body></html>"


# ---- the app side ------------------------------------------------------------------------------
@pytest.fixture
def page() -> Iterator[RecordingTransport]:
    transport = RecordingTransport(answer=lambda op: 7)
    dom.use_transport(transport)
    windows.reset()
    yield transport
    dom.use_transport(None)


def test_writes_and_handlers_go_to_their_windows_page(page: RecordingTransport) -> None:
    second = windows.Window("w1")
    dom.select("#a").text = "main"
    second.select("#a").text = "second"
    item = second.create("li", text="one")
    second.select("#list").append(item)

    @second.on("click", "#b")
    def clicked(event: dom.Event) -> None:
        dom.select("#a").text = f"from {event.window}"

    dom.flush()
    assert page.batches == [[["set", {"sel": "#a"}, "textContent", "main"]]]
    ops = page.window_batches["w1"][0]
    assert ops[:2] == [["set", {"sel": "#a"}, "textContent", "second"],
                       ["create", item._ref, "li"]]
    listen = next(op for op in ops if op[0] == "listen")
    assert listen[1].endswith("@w1") and listen[2:4] == ["click", "#b"]
    run(dom.dispatch(listen[1], {"type": "click", "window": "w1"}))
    assert page.batches[-1] == [["set", {"sel": "#a"}, "textContent", "from w1"]]


def test_an_element_stays_in_its_windows_page(page: RecordingTransport) -> None:
    with pytest.raises(ValueError, match="belongs to the page of one window"):
        dom.select("#list").append(windows.Window("w1").create("li"))


def test_a_reloaded_page_hears_its_handlers_again_and_a_closed_one_is_forgotten(
        page: RecordingTransport) -> None:
    second = windows.Window("w1")
    windows._open["w1"] = second
    seen: list[tuple[str, str]] = []

    @second.on("click", "#b")
    def clicked(event: dom.Event) -> None: ...

    @windows.on("closed")
    def closed(event: windows.WindowEvent) -> None:
        seen.append((event.kind, event.window.id))

    dom.flush()
    run(windows.deliver({"kind": "window", "window": "w1", "event": "ready"}))
    dom.flush()
    again = page.window_batches["w1"][-1]
    assert [op[0] for op in again] == ["listen"] and again[0][2:4] == ["click", "#b"]
    run(windows.deliver({"kind": "window", "window": "w1", "event": "closed"}))
    assert seen == [("closed", "w1")] and second.closed and windows.all() == [windows.main]
    assert dom.registrations({__name__}) == set()  # its handler went with it
    second.select("#a").text = "nowhere"
    dom.forget_window("w1")
    dom.flush()
    assert len(page.window_batches["w1"]) == 2


def test_unknown_window_events_are_refused_at_registration() -> None:
    with pytest.raises(ValueError, match="unknown window event 'shaken'"):
        windows.on("shaken")


# ---- what the host accepts -----------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "error"), [
    ({"page": "../secret.html"}, "must be a path inside the app's ui/ folder"),
    ({"page": "/etc/x.html"}, "must be a path inside"),
    ({"page": "index.js"}, "shows an .html page"),
    ({"page": "nope.html"}, "there is no page 'nope.html'"),
    ({"page": "settings.html", "width": "wide"}, "width is a whole number of pixels"),
    ({"page": "settings.html", "height": -5}, "height must be at least 1 pixel, not -5"),
    ({"page": "settings.html", "title": 3}, "title is a str"),
])
def test_window_options_are_checked(tmp_path: Path, raw: dict[str, Any], error: str) -> None:
    (tmp_path / "settings.html").write_text(SETTINGS)
    with pytest.raises(WindowError, match=error):
        WindowOptions.parse(raw, tmp_path, "app")


# ---- the host: routes and relay ------------------------------------------------------------------
class Hooks:
    """pywebview's ``window.events.NAME``: ``+=`` adds a handler; ``fire`` runs them."""

    def __init__(self) -> None:
        self.handlers: list[Callable[..., Any]] = []

    def __iadd__(self, handler: Callable[..., Any]) -> Hooks:
        self.handlers.append(handler)
        return self

    def fire(self, *args: Any) -> bool:
        """Run the handlers; False when one returned False (a ``closing`` cancelled)."""
        return False not in [handler(*args) for handler in self.handlers]


class StandInWindow:
    def __init__(self, title: str, url: str) -> None:
        self.title, self.url = title, url
        self.width, self.height, self.x, self.y = 800, 600, 0, 0
        self.events = type("Events", (), {})()
        for name in ("shown", "closing", "closed", "maximized", "minimized", "restored",
                     "resized", "moved"):
            setattr(self.events, name, Hooks())
        self.destroyed = False

    def destroy(self) -> None:
        """pywebview's: the same path as the user's close, which ``closing`` may cancel."""
        if self.events.closing.fire():
            self.destroyed = True
            self.events.closed.fire()

    def set_title(self, title: str) -> None:
        self.title = title


class StandInEngine:
    name = "stand-in"

    def __init__(self) -> None:
        self.made: list[StandInWindow] = []

    def create_window(self, title: str, url: str, **options: Any) -> StandInWindow:
        self.made.append(StandInWindow(title, url))
        return self.made[-1]


@pytest.fixture
def served(tmp_path: Path, pyshell_folders: dict[str, Path]
           ) -> Iterator[tuple[AppServer, StandInEngine, StandInWindow]]:
    app = config.load(write_app(tmp_path / "w", name="w", files={"ui/settings.html": SETTINGS}))
    server = app_server(app, pyshell_folders)
    engine, main = StandInEngine(), StandInWindow("w", "")
    server.windows.attach(engine, main)  # type: ignore[arg-type]
    with server:
        yield server, engine, main


def ask(server: AppServer, body: dict[str, Any]) -> dict[str, Any]:
    response = request(server, "/_pyshell/api/windows", "POST", headers=token_header(server),
                       body=json.dumps(body).encode())
    assert response.status == 200
    answer: dict[str, Any] = json.loads(response.body)
    return answer


def host_events(server: AppServer) -> list[dict[str, Any]]:
    response = request(server, "/_pyshell/api/host-events", headers=token_header(server))
    found: list[dict[str, Any]] = json.loads(response.body)
    return found


@contextlib.contextmanager
def relay(server: AppServer, window: str) -> Iterator[Any]:
    """A page's socket to the relay, as ``window``'s page, the token sent."""
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{server.port}/_pyshell/api/windows/socket?window={window}",
                 origin=server.url[:-1],
                 additional_headers={"Cookie": server.session.cookie_header()}) as ws:
        ws.send(server.token)
        yield ws


def received(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return message


def test_a_window_loads_its_page_from_a_link_of_its_own(served) -> None:
    server, engine, _ = served
    assert ask(server, {"op": "open", "page": "settings.html", "title": "S"}) == {"id": "w1"}
    made = engine.made[0]
    target = parse_qs(urlsplit(made.url).query)["to"][0]
    assert target == "/settings.html?window=w1" and made.title == "S"
    page = request(server, target).body.decode()
    meta = page.split(f'name="{contract.CONFIG_META}" content="', 1)[1].split('"', 1)[0]
    boot = json.loads(meta.replace("&quot;", '"'))
    assert boot["window"] == "w1" and boot["hostEvents"] is None and boot["closed"] is None
    assert server.token in page
    for other in ("/settings.html", "/settings.html?window=w9", "/settings.html?window=main"):
        assert request(server, other).body.decode() == SETTINGS  # served as it is
    main_boot = request(server, "/index.html").body.decode()
    assert '&quot;window&quot;: null' in main_boot


def test_the_relay_carries_messages_both_ways_and_answers_for_a_page_that_left(served) -> None:
    server, _, _ = served
    window_id = ask(server, {"op": "open", "page": "settings.html"})["id"]
    with relay(server, "main") as hub:
        relayed(server, hub, window_id)


def relayed(server: AppServer, hub: Any, window_id: str) -> None:
    write = {"type": "dom", "ops": [["set", {"sel": "#x"}, "textContent", "hi"]]}
    hub.send(json.dumps({"to": window_id, "message": write}))
    hub.send(json.dumps({"to": window_id, "message": {"type": "query", "id": 5, "op": ["count"]}}))
    with relay(server, window_id) as page:
        # Connected first, then what waited for the page, in order.
        assert received(page) == {"type": "window-connected"}
        assert received(page) == write
        assert received(page)["id"] == 5
        page.send(json.dumps({"type": "reply", "id": 5, "value": 1}))
        assert received(hub) == {"from": window_id,
                                 "message": {"type": "reply", "id": 5, "value": 1}}
        assert {"kind": "window", "window": window_id, "event": "ready"} in host_events(server)
        hub.send(json.dumps({"to": window_id, "message": {"type": "query", "id": 6, "op": []}}))
        assert received(page)["id"] == 6
    # The page left without answering: Python gets an error, not a wait for ever.
    answer = received(hub)["message"]
    assert answer["id"] == 6 and "closed before it answered" in answer["error"]


def test_a_closed_window_is_said_and_refused(served) -> None:
    from websockets.exceptions import ConnectionClosed

    server, engine, main = served
    window_id = ask(server, {"op": "open", "page": "settings.html"})["id"]
    made = engine.made[0]
    made.events.resized.fire(300, 200)
    made.events.resized.fire(320, 240)  # only the latest size is news
    assert ask(server, {"op": "close", "id": window_id}) == {"ok": True}
    assert made.destroyed
    events = [e for e in host_events(server) if e["window"] == window_id]
    assert events == [{"kind": "window", "window": window_id, "event": "resized",
                       "width": 320, "height": 240},
                      {"kind": "window", "window": window_id, "event": "closed"}]
    with relay(server, window_id) as page, pytest.raises(ConnectionClosed) as info:
        page.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 4404
    with relay(server, "main") as hub:
        hub.send(json.dumps({"to": window_id, "message": {"type": "query", "id": 9, "op": []}}))
        assert "closed before it answered" in received(hub)["message"]["error"]
    assert ask(server, {"op": "focus", "id": window_id}) == {"error": "window 'w1' is not open"}
    assert "use app.on_close" in ask(server, {"op": "close", "id": "main"})["error"]
    assert "unknown window action" in ask(server, {"op": "shake", "id": "main"})["error"]
    second = ask(server, {"op": "open", "page": "settings.html"})["id"]
    main.events.closed.fire()  # the user closed the main window: the app quits
    assert second == "w2" and engine.made[1].destroyed


def test_without_a_window_more_windows_are_unavailable(tmp_path: Path,
                                                       pyshell_folders: dict[str, Path]) -> None:
    app = config.load(write_app(tmp_path / "b", name="b", files={"ui/settings.html": SETTINGS}))
    with app_server(app, pyshell_folders) as server:
        answer = ask(server, {"op": "open", "page": "settings.html"})
    assert "need the app's own window" in answer["error"]


# ---- the app's Python, in a browser page (no native window) -------------------------------------
BROWSER_APP = '''
from pyshell import dom, windows


async def main():
    found = []
    for page in ("../outside.html", "settings.html"):
        try:
            await windows.open(page)
        except (ValueError, RuntimeError) as exc:
            found.append(f"{type(exc).__name__}: {exc}")
    found.append(",".join(w.id for w in windows.all()))
    dom.select("#out").text = "\\n".join(found)
'''


@pytest.mark.page
def test_the_apps_python_raises_what_the_host_said(pyshell_browser: Any, tmp_path: Path) -> None:
    """A bad page is the app's mistake (ValueError); no native window to open one beside
    is the place it runs in (RuntimeError)."""
    app = write_app(tmp_path / "app", BROWSER_APP, files={"ui/settings.html": SETTINGS})
    out = run_app_page(pyshell_browser, app, tmp_path / "appdata").splitlines()
    assert out == [
        "ValueError: the page '../outside.html' must be a path inside the app's ui/ folder",
        "RuntimeError: more windows need the app's own window (not `pyshell run --browser` "
        "or the web build)",
        "main"]


def test_a_guarded_windows_close_is_asked_of_python(served) -> None:
    server, engine, _ = served
    window_id = ask(server, {"op": "open", "page": "settings.html"})["id"]
    made = engine.made[0]
    assert ask(server, {"op": "guard", "id": window_id}) == {"ok": True}
    made.destroy()  # the user's close: cancelled, and Python is asked
    assert not made.destroyed
    assert [e["event"] for e in host_events(server) if e["window"] == window_id] == ["closing"]
    assert ask(server, {"op": "close", "id": window_id}) == {"ok": True}  # Python's answer
    assert made.destroyed
    assert "use app.on_close" in ask(server, {"op": "guard", "id": "main"})["error"]


def test_a_restarted_main_page_closes_the_windows_its_old_python_opened(served) -> None:
    """A new main page (a restart in `pyshell dev`) runs a new Python, which knows none of
    the windows the old one opened: they close."""
    server, engine, _ = served
    with relay(server, "main"):
        pass  # the first main page
    ask(server, {"op": "open", "page": "settings.html"})
    assert not engine.made[0].destroyed
    with relay(server, "main") as hub:
        hub.send(json.dumps({"to": "w1", "message": {"type": "query", "id": 1, "op": []}}))
        assert "closed before it answered" in received(hub)["message"]["error"]
    assert engine.made[0].destroyed


RELOAD_APP = '''
from pyshell import dom, windows

@windows.on("closed")
def closed(event):
    dom.select("#out").text = "{version} closed " + event.window.id
{extra}
def main():
    pass
'''


def test_a_dev_reload_keeps_window_handlers_in_step(page: RecordingTransport, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from kit.apps import host_package
    from pyshell import bootstrap

    extra = '\n@windows.on("resized")\ndef resized(event):\n    pass\n'
    main = host_package(tmp_path, monkeypatch, "winapp",
                        RELOAD_APP.format(version="v1", extra=extra))
    try:
        assert run(bootstrap.start("winapp.main:main", page))
        assert set(windows._handlers["resized"]) == {"winapp.main:resized"}
        main.write_text(RELOAD_APP.format(version="v2", extra=""))  # resized() deleted
        assert run(bootstrap.reload(["winapp.main"])) is True
        assert windows._handlers["resized"] == {}
        windows._open["w1"] = windows.Window("w1")
        run(windows.deliver({"kind": "window", "window": "w1", "event": "closed"}))
        dom.flush()
        assert ["set", {"sel": "#out"}, "textContent", "v2 closed w1"] in page.ops
    finally:
        for name in [m for m in sys.modules if m.startswith("winapp")]:
            del sys.modules[name]
