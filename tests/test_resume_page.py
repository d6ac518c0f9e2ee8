"""Resume paint, in Chromium against the real app server and real Pyodide: a launch first
shows what the app showed last, the app's main() takes over from the static page without a
visible jump, what the user typed meanwhile stays, and the picture is dropped when the UI
changes or the app turns it off."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kit.apps import grant_toml, open_app, write_app
from kit.waits import poll
from pyshell import config
from pyshell.resumepaint import ResumeStore

pytestmark = pytest.mark.page

APP = '''
import asyncio
from pathlib import Path
from pyshell import dom

COUNT = Path("/data/runs")


async def main():
    runs = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
    COUNT.write_text(str(runs))
    if runs > 1:
        await asyncio.sleep(1.5)  # a slow start: the last picture shows meanwhile
    dom.select("#title").text = f"run {runs}"
    dom.select("#pic").attr("src", dom.object_url(b"not kept", "image/png"))
    dom.select("#list").html = "".join(f"<li data-id={n}>run {n}</li>" for n in range(1, runs + 1))
'''
UI = ('<!doctype html><html><head><title>resume</title></head><body>'
      '<h1 id="title">Starting…</h1><input id="field"><input id="secret" type="password">'
      '<img id="pic" width="20" height="20"><ul id="list"></ul></body></html>')
# Read at the first moment the page's own script can: what the first paint showed.
FIRST_PAINT = """
window.__first = null;
document.addEventListener("DOMContentLoaded", () => {
  window.__first = {title: document.querySelector("#title")?.textContent,
                    resumed: "pyshellResumed" in document.documentElement.dataset,
                    field: document.querySelector("#field")?.value,
                    pic: document.querySelector("#pic")?.getAttribute("src"),
                    secret: document.querySelector("#secret")?.value};
});
"""


def write(tmp_path: Path, extra: str = "") -> Path:
    return write_app(tmp_path / "app", APP, grant_toml("{appdata}", "/data", "rw") + extra,
                     ui=UI, name="resume")


def launch(browser: Any, app: Path, folders: dict[str, Path], type_text: str | None = None,
           ) -> dict[str, Any]:
    with open_app(browser, app, folders, wait=None, init_script=FIRST_PAINT) as opened:
        page = opened.page
        page.wait_for_function("window.__first !== null")
        first = page.evaluate("window.__first")
        if type_text is not None:
            page.locator("#field").fill(type_text)  # while Python starts
        page.locator("html[data-pyshell=ready]").wait_for(state="attached", timeout=90_000)
        page.wait_for_function("document.querySelector('#title').textContent.startsWith('run')")
        after = page.evaluate("""() => ({title: document.querySelector('#title').textContent,
            items: [...document.querySelectorAll('#list li')].map((li) => li.textContent),
            field: document.querySelector('#field').value,
            template: !!document.getElementById('pyshell-original'),
            resumed: 'pyshellResumed' in document.documentElement.dataset})""")
        page.locator("#field").fill(f"kept after {after['title']}")
        page.locator("#secret").fill("hunter2")
        store = ResumeStore(config.load(app))
        poll(lambda: store.path.exists() and after["title"] in store.path.read_text()
             and "kept after" in store.path.read_text(), 15)
    return {"first": first, "after": after, "store": store}


def test_a_launch_paints_the_last_picture_then_the_app_takes_over(
        pyshell_browser: Any, tmp_path: Path) -> None:
    app = write(tmp_path)
    folders = {"appdata": tmp_path / "appdata"}
    one = launch(pyshell_browser, app, folders)
    assert one["first"] == {"title": "Starting…", "resumed": False, "field": "",
                            "secret": "", "pic": None}  # nothing kept yet: the static page
    assert one["after"]["items"] == ["run 1"]
    kept = one["store"].path
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and "hunter2" not in kept.read_text()

    two = launch(pyshell_browser, app, folders, type_text="typed while starting")
    # The first paint is the last run's page, typed value included (never the password).
    assert two["first"] == {"title": "run 1", "resumed": True, "field": "kept after run 1",
                            "secret": "", "pic": None}  # the last run's blob: URL is gone
    # main() took over: its render, once (no picture left over), and the user's typing.
    assert two["after"] == {"title": "run 2", "items": ["run 1", "run 2"],
                            "field": "typed while starting", "template": False,
                            "resumed": False}


def test_a_changed_ui_or_the_opt_out_paints_the_static_page(pyshell_browser: Any,
                                                            tmp_path: Path) -> None:
    app = write(tmp_path)
    folders = {"appdata": tmp_path / "appdata"}
    launch(pyshell_browser, app, folders)
    index = app / "ui" / "index.html"
    index.write_text(index.read_text().replace("Starting…", "Starting up…"))
    changed = launch(pyshell_browser, app, folders)
    assert changed["first"]["title"] == "Starting up…" and not changed["first"]["resumed"]
    pyproject = app / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'entry = "app.main:main"\n', 'entry = "app.main:main"\nresume-paint = false\n'))
    assert config.load(app).resume_paint is False
    os.utime(changed["store"].path)  # a picture is there, for this very UI
    with open_app(pyshell_browser, app, folders, wait=None, init_script=FIRST_PAINT) as opened:
        opened.page.wait_for_function("window.__first !== null")
        assert opened.page.evaluate("window.__first.title") == "Starting up…"
        assert opened.page.evaluate("window.__first.resumed") is False
