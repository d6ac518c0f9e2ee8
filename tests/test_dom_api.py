"""pyshell.dom on the host, with a recording transport: what app authors unit-test against."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from kit.apps import host_package
from kit.loops import run
from pyshell import bootstrap, dom
from pyshell.transport import RecordingTransport


@pytest.fixture
def page() -> Iterator[RecordingTransport]:
    transport = RecordingTransport(answer=lambda op: {"get": "typed", "count": 2}.get(op[0]))
    dom.use_transport(transport)
    yield transport
    dom.use_transport(None)


def test_writes_are_batched_until_flush(page: RecordingTransport) -> None:
    title = dom.select("#title")
    title.text = "Hello"
    title.add_class("big", "bold")
    title.style["color"] = "red"
    title.attr("hidden", False)
    assert page.batches == []
    dom.flush()
    assert page.batches == [[
        ["set", {"sel": "#title"}, "textContent", "Hello"],
        ["class", {"sel": "#title"}, ["big", "bold"], True],
        ["style", {"sel": "#title"}, "color", "red"],
        ["attr", {"sel": "#title"}, "hidden", None],
    ]]


def test_writes_in_one_loop_turn_are_one_batch(page: RecordingTransport) -> None:
    async def handler() -> None:
        dom.select("#a").text = "1"
        dom.select_all("li").remove_class("x")
        await asyncio.sleep(0)  # the scheduled flush runs here

    run(handler())
    assert len(page.batches) == 1 and len(page.batches[0]) == 2


def test_create_and_append(page: RecordingTransport) -> None:
    item = dom.create("li", text="milk", classes=["task"], attrs={"data-id": "3"})
    dom.select("#list").append(item, "text node")
    dom.flush()
    h = item._ref
    assert page.ops == [
        ["create", h, "li"], ["set", h, "textContent", "milk"], ["class", h, ["task"], True],
        ["attr", h, "data-id", "3"], ["append", {"sel": "#list"}, [h, "text node"]],
    ]


def test_unknown_property_and_sync_read_explain_themselves(page: RecordingTransport) -> None:
    el = dom.select("#x")
    with pytest.raises(AttributeError, match="settable property 'colour'"):
        el.colour = "red"
    with pytest.raises(AttributeError, match="await element.get"):
        _ = el.value


def test_reads_flush_first_and_are_awaited(page: RecordingTransport) -> None:
    async def read() -> tuple[object, object]:
        dom.select("#a").value = "x"
        return await dom.select("#a").get("value"), await dom.select_all("li").count()

    assert run(read()) == ("typed", 2)
    assert page.batches[0] == [["set", {"sel": "#a"}, "value", "x"]]


def test_handlers_register_once_and_receive_events(page: RecordingTransport) -> None:
    seen: list[dom.Event] = []

    @dom.on("submit", "#form")
    def on_submit(event: dom.Event) -> None:
        seen.append(event)
        dom.select("#out").text = event.form["title"]

    @dom.on("keydown", keys=["mod+k"])
    async def on_key(event: dom.Event) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    listen = [op for op in page.ops + dom._pending.get(None, []) if op[0] == "listen"]
    assert [op[2:] for op in listen] == [["submit", "#form", [], True, None],
                                         ["keydown", None, ["mod+k"], True, None]]
    submit_id, key_id = listen[0][1], listen[1][1]
    run(dom.dispatch(submit_id, {"type": "submit", "form": {"title": "t"}, "x": 1}))
    run(dom.dispatch(key_id, {"type": "keydown", "key": "k", "ctrl": True}))
    assert [e.type for e in seen] == ["submit", "keydown"] and seen[1].ctrl
    assert ["set", {"sel": "#out"}, "textContent", "t"] in page.ops


def test_handler_errors_show_the_app_traceback(page: RecordingTransport) -> None:
    @dom.on("click", "#go")
    def broken(event: dom.Event) -> None:
        raise ValueError("no such task")

    handler_id = next(op[1] for op in dom._pending[None] if op[0] == "listen")
    run(bootstrap.dispatch(handler_id, {"type": "click"}))
    assert len(page.errors) == 1
    text = page.errors[0]
    assert "ValueError: no such task" in text and "in broken" in text
    assert "bootstrap.py" not in text and "dom.py" not in text


def test_dropped_elements_release_their_handles_after_their_ops(page: RecordingTransport) -> None:
    kept = dom.create("li", text="kept")
    dom.select("#list").append(dom.create("li", text="dropped"), kept)
    numbers = [op[1]["h"] for op in dom._pending[None] if op[0] == "create"]
    dom.flush()
    assert page.batches[-1][-1] == ["release", [numbers[1]]]  # last: after the append
    kept.remove()
    del kept
    dom.flush()
    assert page.batches[-1] == [["remove", {"h": numbers[0]}], ["release", [numbers[0]]]]
    dom.flush()
    assert len(page.batches) == 2  # nothing left to send


def test_a_new_page_gets_no_releases_of_the_old_ones(page: RecordingTransport) -> None:
    dom.create("li")
    dom.use_transport(page)
    dom.flush()
    assert page.batches == []


# ---- debounce and throttle: options of the page's listener ------------------------------------
def test_debounce_and_throttle_travel_with_the_listener(page: RecordingTransport) -> None:
    @dom.on("input", "#search", debounce=250)
    def search(event: dom.Event) -> None: ...

    @dom.on("scroll", throttle=100)
    def scrolled(event: dom.Event) -> None: ...

    @dom.on("click", "#go")
    def plain(event: dom.Event) -> None: ...

    dom.flush()
    assert [op[2:] for op in page.ops] == [["input", "#search", [], False, {"debounce": 250}],
                                           ["scroll", None, [], False, {"throttle": 100}],
                                           ["click", "#go", [], False, None]]


@pytest.mark.parametrize("options", [{"debounce": 0}, {"throttle": -5},
                                     {"debounce": 10, "throttle": 10}])
def test_bad_timing_is_refused(page: RecordingTransport, options) -> None:
    with pytest.raises(ValueError):
        dom.on("input", "#x", **options)


def test_a_handler_registered_again_is_listened_for_again_only_if_its_options_changed(
        page: RecordingTransport) -> None:
    def typed(event: dom.Event) -> None: ...

    dom.on("input", "#q", debounce=100)(typed)
    dom.on("input", "#q", debounce=100)(typed)  # a dev reload re-runs the decorator
    dom.on("input", "#q", debounce=300)(typed)  # ... after the author changed the delay
    dom.flush()
    assert [op[0] for op in page.ops] == ["listen", "listen"]
    assert page.ops[1][-1] == {"debounce": 300} and page.ops[0][1] == page.ops[1][1]
    dom.off(typed)
    dom.on("input", "#q", debounce=300)(typed)
    dom.flush()
    assert [op[0] for op in page.ops[2:]] == ["unlisten", "listen"]


# ---- timers -------------------------------------------------------------------------------------
def test_later_runs_once_and_every_again_until_cancelled(page: RecordingTransport) -> None:
    runs: list[str] = []

    def once() -> None:
        runs.append("once")
        dom.select("#out").text = "later"

    async def tick() -> None:
        await asyncio.sleep(0)
        runs.append("tick")

    single = dom.later(200, once)
    repeating = dom.every(50, tick)
    assert page.timers == {single.id: 200, repeating.id: 50}
    assert single.active and repeating.active and "later(200" in repr(single)

    async def fire_all() -> None:
        for timer_id in list(page.timers):
            del page.timers[timer_id]
            await dom.run_timer(timer_id)

    run(fire_all())
    assert sorted(runs) == ["once", "tick"]
    assert ["set", {"sel": "#out"}, "textContent", "later"] in page.ops  # flushed by the run
    assert not single.active and list(page.timers) == [repeating.id]  # every: scheduled again
    assert 0 <= page.timers[repeating.id] <= 50
    repeating.cancel()
    assert page.timers == {} and not repeating.active
    run(dom.run_timer(repeating.id))  # a run already on its way when cancelled: nothing
    assert runs.count("tick") == 1


def test_a_timer_cancelled_in_its_own_run_stops(page: RecordingTransport) -> None:
    seen: list[int] = []

    def tick() -> None:
        seen.append(1)
        if len(seen) == 3:
            timer.cancel()

    timer = dom.every(10, tick)
    for _ in range(5):
        if timer.id in page.timers:
            del page.timers[timer.id]
            run(dom.run_timer(timer.id))
    assert len(seen) == 3 and page.timers == {}


def test_timer_errors_show_like_handler_errors_and_every_keeps_going(
        page: RecordingTransport) -> None:
    def broken() -> None:
        raise ValueError("tick failed")

    timer = dom.every(100, broken)
    del page.timers[timer.id]
    run(bootstrap.run_timer(timer.id))
    assert len(page.errors) == 1 and "ValueError: tick failed" in page.errors[0]
    assert "in broken" in page.errors[0] and "dom.py" not in page.errors[0]
    assert timer.id in page.timers  # scheduled again


@pytest.mark.parametrize("call", [lambda: dom.later(-1, print), lambda: dom.every(0, print),
                                  lambda: dom.later(10, "not callable")])
def test_bad_timers_are_refused(page: RecordingTransport, call) -> None:
    with pytest.raises((ValueError, TypeError)):
        call()


# ---- dev reloads keep timers in step ---------------------------------------------------------------
TIMER_APP = '''
from pyshell import dom

def top():
    dom.select("#top").text = "{version}"

def started():
    dom.select("#started").text = "{version}"

def gone():
    pass

class Clock:
    def tick(self):
        dom.select("#clock").text = "{version}"

ticker = dom.every(100, top)  # the module's top level: started afresh on reload

def main():
    global kept, doomed, method
    kept = dom.every(100, started)  # started by main(): kept, with new code
    doomed = dom.later(5000, gone)
    method = dom.every(100, Clock().tick)  # the class is patched: its new method runs
'''


def test_reload_restarts_top_level_timers_and_rebinds_the_others(
        page: RecordingTransport, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    main = host_package(tmp_path, monkeypatch, "timerapp", TIMER_APP.format(version="v1"))
    try:
        assert run(bootstrap.start("timerapp.main:main", page))
        module = sys.modules["timerapp.main"]
        ticker, kept, doomed, method = module.ticker, module.kept, module.doomed, module.method
        assert ticker.origin == "timerapp.main" and kept.origin is None

        main.write_text(TIMER_APP.format(version="v2").replace("def gone():\n    pass\n", ""))
        assert run(bootstrap.reload(["timerapp.main"])) is True
        assert not ticker.active and module.ticker.active  # replaced, not doubled
        assert kept.active and method.active and not doomed.active  # gone() was deleted
        assert sorted(page.timers) == sorted([module.ticker.id, kept.id, method.id])
        for timer_id in (module.ticker.id, kept.id, method.id):
            run(dom.run_timer(timer_id))
        for target in ("#top", "#started", "#clock"):  # all of them run the new code
            assert ["set", {"sel": target}, "textContent", "v2"] in page.ops

        # A reload that fails part-way: what it started is cancelled, the rest runs on.
        fresh = module.ticker
        main.write_text(TIMER_APP.format(version="v3") + "\nraise RuntimeError('half')\n")
        assert run(bootstrap.reload(["timerapp.main"])) is False
        assert "RuntimeError: half" in page.errors[-1]
        assert fresh.active and not module.ticker.active and kept.active
    finally:
        for name in ("timerapp.main", "timerapp"):
            sys.modules.pop(name, None)
