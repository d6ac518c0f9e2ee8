"""wasm_runtime/morph.mjs, what `el.html = ...` does, in real Chromium.

The module is served to a blank page through a Playwright route (no app, no Python): each
test renders markup with ``morph``, does what a user does in between, renders again and
checks what survived. Controls with ``innerHTML`` show what the morph saves the user from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pyshell.resources import WASM_RUNTIME_DIR

pytestmark = pytest.mark.page

ORIGIN = "http://morph.test"
PAGE = ('<!doctype html><html><head><title>morph</title><script type="module">'
        'import { morph } from "./morph.mjs"; window.morph = morph;</script></head>'
        '<body><button id="before">before</button><ul id="list"></ul>'
        '<div id="box" style="height:100px;overflow:auto"></div></body></html>')


@pytest.fixture
def page(pyshell_browser: Any) -> Iterator[Any]:
    context = pyshell_browser.new_context()
    source = (WASM_RUNTIME_DIR / "morph.mjs").read_text()

    def serve(route: Any) -> None:
        if route.request.url.endswith("/morph.mjs"):
            route.fulfill(body=source, content_type="text/javascript")
        else:
            route.fulfill(body=PAGE, content_type="text/html")

    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("typeof window.morph === 'function'")
    yield page
    context.close()


def rows(items: list[tuple[int, str]], value: str = "") -> str:
    return "".join(f'<li data-id="{n}" class="row"><span>{title}</span>'
                   f'<input class="edit" data-id="{n}" value="{value or title}">'
                   f'<button class="del" data-id="{n}">x</button></li>' for n, title in items)


BOTH_MOVES = pytest.mark.parametrize("move_before", [True, False],
                                     ids=["moveBefore", "insertBefore"])


def without_move_before(page: Any, move_before: bool) -> None:
    """Engines without Node.moveBefore move with insertBefore: focus and scroll are put back."""
    if not move_before:
        page.evaluate("delete Element.prototype.moveBefore")


def render(page: Any, html: str, where: str = "#list") -> None:
    page.evaluate("([where, html]) => morph(document.querySelector(where), html)", [where, html])


def test_focus_typed_value_and_caret_survive_a_re_render(page: Any) -> None:
    render(page, rows([(1, "one"), (2, "two"), (3, "three")]))
    field = page.locator('input[data-id="2"]')
    field.click()
    field.press("End")
    page.keyboard.type(" typed")
    page.evaluate("""() => { const el = document.activeElement; el.marked = "mine";
                             el.setSelectionRange(2, 4); }""")
    # Rows added before and after, one removed, titles changed: the same markup value.
    render(page, rows([(0, "zero"), (2, "two"), (3, "THREE"), (4, "four")], value="two"))
    render(page, rows([(0, "zero"), (2, "two"), (3, "THREE"), (4, "four")], value="two"))
    state = page.evaluate("""() => { const el = document.activeElement;
        return [el.marked, el.dataset.id, el.value, el.selectionStart, el.selectionEnd]; }""")
    assert state == ["mine", "2", "two typed", 2, 4]
    page.keyboard.type("!")  # the caret is really there: typing goes on where it was
    assert field.input_value() == "tw!typed"  # "o " was selected

    # innerHTML, the control: the same re-render drops focus and what was typed.
    page.evaluate("""() => { const list = document.querySelector("#list");
                             list.innerHTML = list.innerHTML; }""")
    assert page.evaluate("document.activeElement === document.body")
    assert field.input_value() == "two"


def test_a_changed_value_attribute_sets_the_value_checked_follows_the_markup(page: Any) -> None:
    render(page, '<input id="name" value="old"><input id="box1" type="checkbox">')
    page.fill("#name", "typed")
    page.check("#box1")
    render(page, '<input id="name" value="old"><input id="box1" type="checkbox">')
    assert page.input_value("#name") == "typed" and page.is_checked("#box1")
    render(page, '<input id="name" value="new"><input id="box1" type="checkbox" checked>')
    assert page.input_value("#name") == "new" and page.is_checked("#box1")
    render(page, '<input id="name" value="new"><input id="box1" type="checkbox">')
    assert not page.is_checked("#box1")  # the markup took the attribute away: unchecked


@BOTH_MOVES
def test_scroll_positions_survive(page: Any, move_before: bool) -> None:
    without_move_before(page, move_before)
    items = "".join(f'<p data-id="{n}" style="height:40px;margin:0">{n}</p>' for n in range(50))
    inner = '<div id="inner" style="height:60px;overflow:auto"><div style="height:400px">x</div></div>'
    render(page, items + inner, where="#box")
    page.evaluate("""() => { document.querySelector("#box").scrollTop = 700;
                             document.querySelector("#inner").scrollTop = 120; }""")
    changed = "".join(f'<p data-id="{n}" style="height:40px;margin:0">#{n}</p>'
                      for n in range(49, -1, -1))
    render(page, inner.replace(">x<", ">y<") + changed, where="#box")  # #inner moves up
    tops = page.evaluate("""() => [document.querySelector("#box").scrollTop,
                                   document.querySelector("#inner").scrollTop,
                                   document.querySelector("#box > p").textContent]""")
    assert tops == [700, 120, "#49"]


@BOTH_MOVES
def test_keyed_reorder_moves_the_same_nodes_and_removes_the_rest(page: Any,
                                                                 move_before: bool) -> None:
    without_move_before(page, move_before)
    render(page, rows([(1, "one"), (2, "two"), (3, "three"), (4, "four")]))
    page.evaluate("""() => document.querySelectorAll("#list li, #list button").forEach(
        (el) => { el.marked = el.tagName + el.dataset.id; })""")
    page.focus('button[data-id="3"]')
    render(page, rows([(4, "four"), (3, "three!"), (5, "five"), (1, "one")]))
    seen = page.evaluate("""() => [...document.querySelectorAll("#list li")].map((li) =>
        [li.dataset.id, li.marked ?? null, li.querySelector("button").marked ?? null,
         li.querySelector("span").textContent])""")
    assert seen == [["4", "LI4", "BUTTON4", "four"], ["3", "LI3", "BUTTON3", "three!"],
                    ["5", None, None, "five"], ["1", "LI1", "BUTTON1", "one"]]
    assert page.evaluate("document.activeElement.marked") == "BUTTON3"
    assert page.locator('#list [data-id="2"]').count() == 0


def test_controls_sharing_a_row_id_are_told_apart_by_class(page: Any) -> None:
    """A row's controls all carry the row's data-id: a title turning into an editor keeps
    the checkbox and the delete button (by class), and the title goes."""
    view = ('<li data-id="1"><input type="checkbox" class="toggle" data-id="1">'
            '<button class="title" data-id="1">one</button><button class="del" data-id="1">x</button></li>')
    render(page, view)
    page.evaluate("""() => document.querySelectorAll("#list *").forEach(
        (el) => { el.marked = el.className; })""")
    page.focus(".toggle")
    render(page, view.replace('<button class="title" data-id="1">one</button>',
                              '<input class="edit" data-id="1" value="one">'))
    marks = page.evaluate("""() => [...document.querySelectorAll("#list li *")].map(
        (el) => el.marked ?? null)""")
    assert marks == ["toggle", None, "del"]
    assert page.evaluate("document.activeElement.marked") == "toggle"


def test_scripts_in_markup_never_run(page: Any) -> None:
    render(page, '<li id="s"><script id="a">window.ran = (window.ran || 0) + 1</script></li>')
    render(page, '<li id="s"><script id="a">window.ran = 2</script>'
                 '<script>window.ran = 3</script><script src="data:text/javascript,window.ran=4">'
                 '</script></li>')
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    assert page.locator("#list script").count() == 3  # there, inert, as with innerHTML
