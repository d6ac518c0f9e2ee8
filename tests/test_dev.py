"""`pyshell dev`: real files saved on disk, the real watcher and server, real Pyodide."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from watchdog.events import FileClosedEvent, FileDeletedEvent, FileModifiedEvent

from kit.apps import dev_session
from kit.waits import wait_until
from pyshell import config
from pyshell.dev.reload import classify
from pyshell.dev.watcher import Watcher
from pyshell.testing import wait_until_started


@pytest.fixture
def dev_page(app_dir: Path, pyshell_browser, pyshell_folders):
    """The template app served in dev mode, with the watcher running; yields (page, app_dir)."""
    with dev_session(pyshell_browser, app_dir, pyshell_folders) as opened:
        yield opened.page, app_dir


def wait_for_updates(page, count: int, timeout: float = 30) -> None:
    """Until the page has reported ``count`` Python/CSS updates applied (or failed)."""
    wait_until(lambda: len([r for r in page.reports if r["kind"] != "boot"]) >= count, timeout,
               f"{count} updates reported")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_python_edit_reloads_in_place_and_keeps_state(dev_page) -> None:
    page, app_dir = dev_page
    page.fill("#new-title", "kept across reloads")
    page.press("#new-title", "Enter")
    expect(page.locator("#list .task")).to_have_count(4)
    page.evaluate("window.__marker = 42")  # a page reload would clear it
    main = app_dir / "app" / "main.py"
    edit(main, '''f"{left} task{'s' if left != 1 else ''} left"''', '''f"{left} to go"''')
    expect(page.locator("#count")).to_have_text("3 to go")
    edit(main, 'tasks.add(event.form.get("title", ""))', 'tasks.add(event.form.get("title", "").upper())')
    wait_for_updates(page, 2)
    expect(page.locator("#pyshell-error")).to_have_count(0)
    page.fill("#new-title", "shout")
    page.press("#new-title", "Enter")
    expect(page.locator("#list .task").last).to_contain_text("SHOUT")  # the new handler ran
    expect(page.locator("#list")).to_contain_text("kept across reloads")  # state survived
    assert page.evaluate("window.__marker") == 42
    updates = [r for r in page.reports if r["kind"] != "boot"]
    assert [r["kind"] for r in updates] == ["python", "python"]
    assert all(r["ok"] for r in updates)


def test_css_is_swapped_without_reload(dev_page) -> None:
    page, app_dir = dev_page
    page.evaluate("window.__marker = 7")
    page.fill("#new-title", "typed, not submitted")
    with (app_dir / "ui" / "style.css").open("a") as fh:
        fh.write("\nh1 { color: rgb(200, 0, 0); }\n")
    expect(page.locator("h1")).to_have_css("color", "rgb(200, 0, 0)")
    assert page.evaluate("window.__marker") == 7
    expect(page.locator("#new-title")).to_have_value("typed, not submitted")


def test_html_change_reloads_the_page(dev_page) -> None:
    page, app_dir = dev_page
    page.evaluate("window.__marker = 9")
    edit(app_dir / "ui" / "index.html", "<footer", '<p id="fresh">fresh html</p><footer')
    expect(page.locator("#fresh")).to_have_text("fresh html")
    wait_until_started(page)
    assert page.evaluate("window.__marker") is None
    expect(page.locator("#list .task")).to_have_count(3)


def test_errors_show_and_recover(dev_page) -> None:
    page, app_dir = dev_page
    main = app_dir / "app" / "main.py"
    good = main.read_text()
    main.write_text(good.replace("def main() -> None:", "def main() -> None\n"))  # syntax error
    panel = page.locator("#pyshell-error")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("app/main.py")
    expect(panel).to_contain_text("SyntaxError")
    main.write_text(good)
    expect(panel).to_have_count(0)
    main.write_text(good.replace("def render() -> None:", "raise RuntimeError('at import')\n\n\ndef render() -> None:"))
    expect(panel).to_contain_text("RuntimeError: at import")
    main.write_text(good)
    expect(panel).to_have_count(0)
    main.write_text(good.replace('    tasks.delete(int(event.data["id"]))',
                                 '    raise KeyError("in a handler")'))
    wait_for_updates(page, 5)
    page.locator("#list .delete").first.click()
    expect(panel).to_contain_text("KeyError: 'in a handler'")
    expect(panel).to_contain_text("in delete")
    main.write_text(good)
    expect(panel).to_have_count(0)
    page.locator("#list .delete").first.click()
    expect(page.locator("#list .task")).to_have_count(2)
    page.fill("#new-title", "still alive")
    page.press("#new-title", "Enter")
    expect(page.locator("#list")).to_contain_text("still alive")


def test_a_fix_completes_a_start_that_failed(app_dir: Path, pyshell_browser,
                                             pyshell_folders) -> None:
    main = app_dir / "app" / "main.py"
    good = main.read_text().replace("def main() -> None:\n",
                                    "def main() -> None:\n    print('main ran')\n", 1)
    assert "main ran" in good
    main.write_text(good.replace("def main() -> None:", "def main() -> None\n", 1))
    with dev_session(pyshell_browser, app_dir, pyshell_folders, wait="settled") as opened:
        page = opened.page
        html, panel = page.locator("html"), page.locator("#pyshell-error")
        expect(html).to_have_attribute("data-pyshell", "error")
        expect(panel).to_contain_text("SyntaxError")
        shown = panel.inner_text()
        assert "app/main.py" in shown and "pyshell/" not in shown, shown  # no frames of ours
        main.write_text(good)
        expect(page.locator("#list .task")).to_have_count(3)  # main() rendered the list
        expect(html).to_have_attribute("data-pyshell", "ready")
        expect(panel).to_have_count(0)
        edit(main, "print('main ran')", "print('main ran, edited')")
        wait_for_updates(page, 2)
        expect(panel).to_have_count(0)
        wait_until(lambda: "SyntaxError" in "\n".join(text for _, text in page.logs), 10,
                   "the failed start in the terminal's log")  # the log is sent in batches
        time.sleep(0.2)  # the test: a batch more, in which nothing may be said again
        printed = "\n".join(text for _, text in page.logs)
        assert printed.count("main ran") == 1, printed  # main() once; then on_reload()
        assert printed.count("SyntaxError") == 1, printed  # said once in the terminal
        assert "pyshell/" not in printed, printed
    assert [r["ok"] for r in page.reports if r["kind"] != "boot"] == [True, True]


def test_the_watcher_the_bundle_and_a_build_skip_the_same(tmp_path: Path) -> None:
    """One skip-list: what a build copies and the bundle takes is what the watcher follows."""
    from pyshell.build.files import copy_tree
    from pyshell.bundle import tree
    from pyshell.dev.watcher import interesting

    src = tmp_path / "src"
    for rel in ["app/main.py", "ui/index.html", "app/__pycache__/main.cpython-311.pyc",
                "app/old.pyc", "app/.hidden/x.py", ".git/HEAD", ".venv/lib/x.py",
                "node_modules/a.js", "app/.mypy_cache/x.json", "ui/.DS_Store"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    everything = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
    walked = {p.relative_to(src).as_posix() for p in tree(src) if p.is_file()}
    copy_tree(src, tmp_path / "copy")
    copied = {p.relative_to(tmp_path / "copy").as_posix()
              for p in (tmp_path / "copy").rglob("*") if p.is_file()}
    followed = {rel for rel in everything if interesting(src / rel, src)}
    assert walked == copied == followed == {"app/main.py", "ui/index.html"}


def test_classify(app_dir: Path) -> None:
    app = config.load(app_dir)
    py = classify(app, {app_dir / "app" / "main.py"})
    assert py.kind == "python-update" and py.payload["modules"] == ["app.main"]
    assert classify(app, {app_dir / "ui" / "style.css"}).kind == "css-update"
    assert classify(app, {app_dir / "ui" / "index.html"}).kind == "full-reload"
    assert classify(app, {app_dir / "pyproject.toml"}).kind == "full-reload"
    assert classify(app, {app_dir / "README.md"}) is None


SAVES = {
    "in place": lambda p: p.write_text("in place"),
    "temp then rename": lambda p: (p.with_name(".x.tmp").write_text("renamed"),
                                   os.replace(p.with_name(".x.tmp"), p)),
    "delete then create": lambda p: (p.unlink(), p.write_text("recreated")),
    "burst of 20": lambda p: [p.write_text(f"burst {i}") for i in range(20)],
    "sed -i (temp file with no telling name)": lambda p: (
        p.with_name("sedAb12Cd").write_text("sed"), os.replace(p.with_name("sedAb12Cd"), p)),
    "subprocess sed -i": lambda p: subprocess.run(["sed", "-i", "s/start/sed/", str(p)],
                                                  check=True),
}


@pytest.mark.parametrize("pattern", sorted(SAVES))
def test_each_save_pattern_gives_one_update(tmp_path: Path, pattern: str) -> None:
    target = tmp_path / "main.py"
    target.write_text("start")
    (tmp_path / "__pycache__").mkdir()
    batches: list[set[Path]] = []
    done = threading.Event()
    watcher = Watcher(tmp_path, lambda changed: (batches.append(changed), done.set()))
    watcher.start()
    try:  # watching from here: watchdog adds its inotify watches within start()
        SAVES[pattern](target)
        (tmp_path / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"ignored")
        assert done.wait(5)
        time.sleep(0.5)  # the test: twenty quiet periods more, and no second batch
    finally:
        watcher.stop()
    assert len(batches) == 1 and batches[0] == {target.resolve()}, batches


def test_a_save_split_across_quiet_periods_goes_out_once(tmp_path: Path) -> None:
    """On a busy machine watchdog can hand over one save's events late, in two quiet periods."""
    target = tmp_path.resolve() / "main.py"
    batches: list[set[Path]] = []
    watcher = Watcher(tmp_path, batches.append)  # not started: the test hands it the events

    def saved(text: str, count: int) -> None:
        target.write_text(text)
        watcher.on_any_event(FileModifiedEvent(str(target)))
        wait_until(lambda: len(batches) == count, 5, f"batch {count}")

    saved("first", 1)
    watcher.on_any_event(FileClosedEvent(str(target)))  # the same save, one quiet period later
    time.sleep(0.3)  # the test: ten quiet periods, and no second batch
    assert batches == [{target}]
    saved("second", 2)  # new text
    saved("second", 3)  # saved again unchanged: a new save, which reloads as users expect
    target.unlink()
    watcher.on_any_event(FileDeletedEvent(str(target)))
    wait_until(lambda: len(batches) == 4, 5, "the deletion")
    watcher.on_any_event(FileDeletedEvent(str(target)))  # told again, late
    time.sleep(0.3)
    assert batches == [{target}] * 4


def test_a_hundred_random_edits_end_live(dev_page) -> None:
    """Valid and broken saves in quick succession; the last one is valid, the app is live."""
    import random

    page, app_dir = dev_page
    main = app_dir / "app" / "main.py"
    good = main.read_text()
    marker = '''f"{left} task{'s' if left != 1 else ''} left"'''
    broken = [good.replace("def main() -> None:", "def main() -> None"),
              good.replace("render()\n", "render(\n", 1),
              good.replace("def render() -> None:", "raise ValueError('boom')\ndef render() -> None:"),
              good.replace("from pyshell import dom", "from pyshell import nothing_here"),
              "this is not python at all ]]"]
    rng = random.Random(5)
    for i in range(100):
        if rng.random() < 0.4:
            main.write_text(rng.choice(broken))
        else:
            main.write_text(good.replace(marker, f'f"{{left}} left, edit {i}"'))
        time.sleep(rng.uniform(0.0, 0.08))  # the test: gaps under and over the watcher's quiet period
    main.write_text(good.replace(marker, 'f"{left} left, final"'))
    expect(page.locator("#count")).to_have_text("2 left, final", timeout=30_000)
    expect(page.locator("#pyshell-error")).to_have_count(0)
    page.fill("#new-title", "after the storm")
    page.press("#new-title", "Enter")
    expect(page.locator("#list")).to_contain_text("after the storm")


def test_module_can_ask_for_a_restart(dev_page) -> None:
    page, app_dir = dev_page
    main = app_dir / "app" / "main.py"
    marker = '''f"{left} task{'s' if left != 1 else ''} left"'''
    text = main.read_text()
    text = text.replace("from __future__ import annotations\n",
                        'from __future__ import annotations\n__pyshell_reload__ = "restart"\n')
    main.write_text(text.replace(marker, 'f"{left} first"'))
    expect(page.locator("#count")).to_have_text("2 first")  # this save still reloads in place
    page.evaluate("window.__marker = 3")
    main.write_text(text.replace(marker, 'f"{left} second"'))
    expect(page.locator("#count")).to_have_text("2 second", timeout=90_000)
    assert page.evaluate("window.__marker") is None  # the page started again


def test_one_terminal_line_per_update(app_dir: Path, capsys) -> None:
    """What changed, what was done and how long it took: one line, printed when the page
    has applied it; a failed start says so instead of "Python ready"."""
    import asyncio

    from pyshell.dev.reload import Hub, forward

    hub = Hub()
    app = config.load(app_dir)

    async def connected() -> None:
        hub.subscribe()

    loop = asyncio.new_event_loop()  # kept open: the hub queues its messages on it
    # On a thread of its own: a test before this one may have left a loop running here.
    subscriber = threading.Thread(target=loop.run_until_complete, args=(connected(),))
    subscriber.start()
    subscriber.join()
    forward(app, hub)({app_dir / "app" / "main.py"})
    assert capsys.readouterr().err == ""  # nothing until the page has applied it
    hub.report({"kind": "python", "ok": True, "ms": 12.4})
    forward(app, hub)({app_dir / "ui" / "index.html"})
    hub.report({"kind": "boot", "ok": False, "ms": 900})
    hub.report({"kind": "boot", "ok": True, "ms": 800})
    assert capsys.readouterr().err.splitlines() == [
        "pyshell dev: app/main.py changed -> python update done in 12 ms",
        "pyshell dev: index.html changed -> page loaded; the app's entry point failed "
        "(its error is in the window)",
        "pyshell dev: page loaded, Python ready at 800 ms",
    ]
    loop.close()


def test_a_change_with_no_window_open_is_still_said(app_dir: Path, capsys) -> None:
    from pyshell.dev.reload import Hub, forward

    forward(config.load(app_dir), Hub())({app_dir / "ui" / "style.css"})
    assert capsys.readouterr().err == (
        "pyshell dev: style.css changed -> css-update (no window is open to update)\n")
