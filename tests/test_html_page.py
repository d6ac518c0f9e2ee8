"""sanitize() and the builder in real Pyodide, their output in real Chromium: nothing runs.

The page's Content-Security-Policy would block inline handlers and javascript: URLs on its
own, so the browser context here ignores it (``bypass_csp``): only the sanitizer stands
between the vectors and the page. Unsanitized controls show that the page would run them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_html import SAFE, VECTORS

from kit.apps import open_app, write_app
from pyshell.testing import wait_until_idle

pytestmark = pytest.mark.page

APP = '''
from pyshell import dom
from pyshell.html import fragment, h, sanitize

from .cases import CONTROLS, SAFE, VECTORS


def main():
    dom.select("#vectors").html = fragment(
        h("div", sanitize(v), class_="case", data_n=i) for i, v in enumerate(VECTORS))
    dom.select("#kept").html = fragment(h("div", sanitize(given), class_="kept")
                                        for given, _ in SAFE)
    dom.select("#built").html = h("p", {"title": VECTORS[3], "data-x": '"><img src=x onerror=xss(900)>'},
                                  VECTORS[3], h("a", "link", href="javascript:xss(901)"))
    dom.select("#built").append(h("b", "<i>markup as html</i>"), "<i>a str as text</i>")
    dom.select("#control").html = CONTROLS  # a plain str: not sanitized
    dom.select("#out").text = "ready"
'''
CONTROLS = '<img src=x onerror="xss(1000)"><a id="js" href="javascript:xss(1001)">js</a>'
PAGE = ('<!doctype html><html><head><title>xss</title></head><body><div id="out"></div>'
        '<div id="vectors"></div><div id="kept"></div><div id="built"></div>'
        '<div id="control"></div></body></html>')

# Every event an inline handler in the vectors could listen for, dispatched to every element.
EVENTS = ["click", "dblclick", "mouseover", "mouseenter", "focus", "blur", "load", "error",
          "toggle", "input", "change", "submit", "animationstart", "start", "pointerdown"]

CHECK_PAGE = """([events]) => {
  const found = {hits: [...window.hits], bad: []};
  for (const el of document.querySelectorAll("#vectors *, #kept *, #built *")) {
    for (const type of events) el.dispatchEvent(new Event(type, {bubbles: false}));
    if (el.tagName === "A" && !el.getAttribute("href")?.startsWith("http")) el.click();
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name) || ["srcdoc", "formaction", "action", "id", "name"].includes(attr.name))
        found.bad.push(el.outerHTML);
    }
    for (const url of [el.href, el.src].filter((u) => typeof u === "string" && u)) {
      const protocol = new URL(url, document.baseURI).protocol;
      if (["javascript:", "vbscript:"].includes(protocol) ||
          (protocol === "data:" && !(el.tagName === "IMG" && /^data:image\\/(png|gif|jpe?g|webp)/i.test(url))))
        found.bad.push(el.outerHTML);
    }
    if (/^(SCRIPT|STYLE|IFRAME|OBJECT|EMBED|SVG|MATH|FORM|BASE|META|LINK|TEMPLATE|BUTTON|TEXTAREA|SELECT)$/i.test(el.tagName))
      found.bad.push(el.outerHTML);
  }
  return found;
}"""


def test_sanitized_vectors_never_run_and_safe_content_survives(
        pyshell_browser, tmp_path: Path, pyshell_folders: dict[str, Path]) -> None:
    cases = f"VECTORS = {VECTORS!r}\nSAFE = {SAFE!r}\nCONTROLS = {CONTROLS!r}\n"
    app = write_app(tmp_path / "probe", APP, ui=PAGE, files={"app/cases.py": cases})
    with open_app(pyshell_browser, app, pyshell_folders, cold=True,
                  context_options={"bypass_csp": True},
                  init_script="window.hits = []; window.xss = (n) => window.hits.push(n);"
                  ) as opened:
        page = opened.page
        expect(page.locator("#out")).to_have_text("ready")
        # The controls prove the page runs what gets through: an image's error handler...
        expect(page.locator("html")).to_have_attribute("data-pyshell", "ready")
        page.wait_for_function("window.hits.includes(1000)", timeout=10_000)
        page.click("#js")  # ... and a javascript: link
        page.wait_for_function("window.hits.includes(1001)", timeout=10_000)
        # Every image has loaded or failed, so its error handler would have run by now.
        page.wait_for_function("[...document.images].every((img) => img.complete)",
                               timeout=10_000)
        found = page.evaluate(CHECK_PAGE, [EVENTS])
        assert found["bad"] == []
        page.wait_for_timeout(300)  # the test: a while more, in which nothing else may run
        hits = page.evaluate("window.hits")
        assert sorted(set(hits)) == [1000, 1001], hits  # nothing sanitized or built ran

        # Safe content survives, as the browser reads the expected HTML.
        kept = page.evaluate("""(expected) => [...document.querySelectorAll("#kept .kept")].map(
            (div, i) => { const t = document.createElement("template"); t.innerHTML = expected[i];
                          return [div.innerHTML, t.innerHTML]; })""", [e for _, e in SAFE])
        assert len(kept) == len(SAFE)
        for got, want in kept:
            assert got == want
        cases_text = page.locator("#vectors").inner_text()
        assert "click" in cases_text and "hover" in cases_text and "clobber" in cases_text
        # The builder: text and attribute values stay text; Markup children are HTML.
        built = page.locator("#built p")
        expect(built).to_contain_text(VECTORS[3])
        assert built.get_attribute("title") == VECTORS[3]
        assert page.locator("#built p a").get_attribute("href") == "about:invalid#unsafe-url"
        expect(page.locator("#built > b")).to_have_text("<i>markup as html</i>")
        expect(page.locator("#built")).to_contain_text("<i>a str as text</i>")
        expect(page.locator("#built i")).to_have_count(0)
        wait_until_idle(page)
