"""pyshell.dom on the host, with a recording transport: what app authors unit-test against."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pyshell import bootstrap, dom
from pyshell.transport import RecordingTransport


def run(coro):
    """asyncio.run in its own thread: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


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

    listen = [op for op in page.ops + dom._pending if op[0] == "listen"]
    assert [op[2:] for op in listen] == [["submit", "#form", [], True],
                                         ["keydown", None, ["mod+k"], True]]
    submit_id, key_id = listen[0][1], listen[1][1]
    run(dom.dispatch(submit_id, {"type": "submit", "form": {"title": "t"}, "x": 1}))
    run(dom.dispatch(key_id, {"type": "keydown", "key": "k", "ctrl": True}))
    assert [e.type for e in seen] == ["submit", "keydown"] and seen[1].ctrl
    assert ["set", {"sel": "#out"}, "textContent", "t"] in page.ops


def test_handler_errors_show_the_app_traceback(page: RecordingTransport) -> None:
    @dom.on("click", "#go")
    def broken(event: dom.Event) -> None:
        raise ValueError("no such task")

    handler_id = next(op[1] for op in dom._pending if op[0] == "listen")
    run(bootstrap.dispatch(handler_id, {"type": "click"}))
    assert len(page.errors) == 1
    text = page.errors[0]
    assert "ValueError: no such task" in text and "in broken" in text
    assert "bootstrap.py" not in text and "dom.py" not in text


def test_dropped_elements_release_their_handles_after_their_ops(page: RecordingTransport) -> None:
    kept = dom.create("li", text="kept")
    dom.select("#list").append(dom.create("li", text="dropped"), kept)
    numbers = [op[1]["h"] for op in dom._pending if op[0] == "create"]
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
