"""Grants from native dialogs. The machinery below the dialog runs for real (server, grant,
mount, Pyodide); the dialog itself is the edge, replaced by a scripted answer. The wiring to
pywebview's dialog is tested on its own against a stand-in window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import webview

from kit.apps import run_app_page, write_app
from pyshell.pickers import pywebview_dialogs

PROBE = r'''
import errno, json, os
from pyshell import dom, files

def attempt(fn):
    try:
        return ["ok", fn()]
    except OSError as exc:
        return [type(exc).__name__, errno.errorcode.get(exc.errno)]

async def main():
    r = {}
    picked = await files.pick_file()
    r["picked"] = picked
    r["read"] = open(picked).read()
    r["write_ro"] = attempt(lambda: open(picked, "w").write("x"))
    folder = os.path.dirname(picked)
    r["listing"] = os.listdir(folder)
    r["sibling"] = attempt(lambda: open(os.path.join(folder, "sibling.txt")).read())
    saved = await files.save_file("report.txt")
    with open(saved, "w") as f:
        f.write("saved from wasm")
    r["saved"] = saved
    shared = await files.pick_folder(write=True)
    open(os.path.join(shared, "made.txt"), "w").write("made")
    r["shared"] = sorted(os.listdir(shared))
    r["cancelled"] = await files.pick_file()
    r["grants"] = [[g.mount, g.writable, g.file, g.host_path] for g in files.grants()]
    r["host_path"] = files.host_path(saved)
    dom.select("#out").text = json.dumps(r)
'''


@pytest.mark.page
def test_dialog_grants_in_pyodide(tmp_path: Path, pyshell_browser) -> None:
    home = tmp_path / "home"
    (home / "shared").mkdir(parents=True)
    (home / "picked.txt").write_text("picked content")
    (home / "sibling.txt").write_text("not yours")
    answers = iter([home / "picked.txt", home / "out" / "report.txt", home / "shared", None])
    asked: list[tuple] = []
    (home / "out").mkdir()

    def provider(kind, suggested, types):
        asked.append((kind, suggested))
        return next(answers)

    app = write_app(tmp_path / "app", PROBE)
    r = json.loads(run_app_page(pyshell_browser, app, tmp_path / "appdata", provider))
    assert asked == [("open_file", ""), ("save_file", "report.txt"), ("open_folder", ""),
                     ("open_file", "")]
    assert r["picked"] == "/picked/1/picked.txt" and r["read"] == "picked content"
    assert r["write_ro"] == ["PermissionError", "EACCES"]
    assert r["listing"] == ["picked.txt"]  # the folder of a picked file stays closed
    assert r["sibling"][0] in ("PermissionError", "FileNotFoundError")
    assert r["saved"] == "/picked/2/report.txt"
    assert (home / "out" / "report.txt").read_text() == "saved from wasm"
    assert r["shared"] == ["made.txt"] and (home / "shared" / "made.txt").read_text() == "made"
    assert r["cancelled"] is None
    assert r["grants"] == [["/picked/1", False, "picked.txt", str(home)],
                           ["/picked/2", True, "report.txt", str(home / "out")],
                           ["/picked/3", True, None, str(home / "shared")]]
    assert r["host_path"] == str(home / "out" / "report.txt")  # where the save went
    assert (home / "sibling.txt").read_text() == "not yours"


@pytest.mark.page
def test_no_dialog_without_a_window(tmp_path: Path, pyshell_browser) -> None:
    app = write_app(tmp_path / "probe", (
        "from pyshell import dom, files\n"
        "async def main():\n"
        "    try:\n"
        "        await files.pick_file()\n"
        "    except files.DialogUnavailable as exc:\n"
        "        dom.select('#out').text = str(exc)\n"))
    text = run_app_page(pyshell_browser, app, tmp_path / "appdata")
    assert "file dialogs need the app's window" in text


class StandInWindow:
    """Records what pyshell asks pywebview for, answers like pywebview does."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def create_file_dialog(self, dialog_type, directory="", allow_multiple=False,
                           save_filename="", file_types=()):
        self.calls.append((dialog_type, save_filename, file_types))
        return self.answer


def test_pywebview_dialog_wiring() -> None:
    window = StandInWindow(("/home/u/a.txt",))
    pick = pywebview_dialogs(window)
    assert pick("open_file", "", ["Text (*.txt)"]) == Path("/home/u/a.txt")
    assert pick("open_folder", "", []) == Path("/home/u/a.txt")
    window.answer = "/home/u/b.txt"  # pywebview's save dialog answers with a string
    assert pick("save_file", "b.txt", []) == Path("/home/u/b.txt")
    window.answer = None
    assert pick("open_file", "", []) is None
    assert [c[0] for c in window.calls] == [webview.FileDialog.OPEN, webview.FileDialog.FOLDER,
                                           webview.FileDialog.SAVE, webview.FileDialog.OPEN]
    assert window.calls[0][2] == ("Text (*.txt)",) and window.calls[2][1] == "b.txt"


DOWNLOADS = r'''
import json
from pyshell import dom, files

async def main():
    r = {}
    r["saved"] = await files.download("report.csv", "name,total\nlinus,3\n")
    r["cancelled"] = await files.download("again.csv", b"x")
    try:
        await files.download("../escape.csv", b"x")
    except ValueError as exc:
        r["bad_name"] = str(exc)
    dom.select("#out").text = json.dumps(r)
'''


@pytest.mark.page
def test_download_is_a_save_dialog_on_the_desktop(tmp_path: Path, pyshell_browser) -> None:
    target = tmp_path / "exports" / "report.csv"
    target.parent.mkdir()
    answers = iter([target, None])
    asked: list[tuple] = []

    def provider(kind, suggested, types):
        asked.append((kind, suggested))
        return next(answers)

    app = write_app(tmp_path / "app", DOWNLOADS)
    r = json.loads(run_app_page(pyshell_browser, app, tmp_path / "appdata", provider))
    assert asked == [("save_file", "report.csv"), ("save_file", "again.csv")]
    assert r["saved"] == str(target)  # the host path, to tell the user where it went
    assert target.read_bytes() == b"name,total\nlinus,3\n"
    assert r["cancelled"] is None
    assert "must be a plain file name" in r["bad_name"]


@pytest.mark.page
def test_download_without_a_dialog_is_a_browser_download(tmp_path: Path,
                                                          pyshell_browser) -> None:
    from pyshell.testing import start_server, wait_until_started

    app = write_app(tmp_path / "app", '''
from pyshell import dom, files

async def main():
    where = await files.download("data.bin", bytes(range(256)) * 4)
    dom.select("#out").text = where
''')
    server = start_server(app, {"appdata": tmp_path / "appdata"})  # no window: no dialogs
    context = pyshell_browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        with page.expect_download(timeout=90_000) as info:
            page.goto(server.launch_url())
            wait_until_started(page)
        download = info.value
        assert download.suggested_filename == "data.bin"
        assert Path(download.path()).read_bytes() == bytes(range(256)) * 4
        assert page.locator("#out").inner_text() == "data.bin"
    finally:
        context.close()
        server.stop()


BOXES = r'''
import json
from pyshell import dialogs, dom

async def main():
    r = {}
    await dialogs.message("Saved.")
    r["ok"] = await dialogs.confirm("Close anyway?")
    r["cancel"] = await dialogs.confirm("Really?")
    r["typed"] = await dialogs.prompt("Name of the list", default="Groceries")
    r["cancelled"] = await dialogs.prompt("Again")
    try:
        await dialogs.confirm("  ")
    except ValueError as exc:
        r["empty"] = str(exc)
    dom.select("#out").text = json.dumps(r)
'''


@pytest.mark.page
def test_message_confirm_and_prompt_are_the_windows_own(tmp_path: Path, pyshell_browser) -> None:
    from pyshell.testing import start_server, wait_until_started

    app = write_app(tmp_path / "app", BOXES)
    server = start_server(app, {"appdata": tmp_path / "appdata"})
    context = pyshell_browser.new_context()
    seen: list[tuple[str, str, str]] = []
    answers = iter([None, True, False, "Weekend", None])

    def answer(dialog) -> None:
        seen.append((dialog.type, dialog.message, dialog.default_value))
        reply = next(answers)
        if reply is False or (reply is None and dialog.type != "alert"):
            dialog.dismiss()
        else:
            dialog.accept(reply if isinstance(reply, str) else "")

    try:
        page = context.new_page()
        page.on("dialog", answer)
        page.goto(server.launch_url())
        wait_until_started(page)
        page.wait_for_function("() => document.querySelector('#out').textContent !== ''")
        r = json.loads(page.locator("#out").inner_text())
    finally:
        context.close()
        server.stop()
    assert seen == [("alert", "Saved.", ""), ("confirm", "Close anyway?", ""),
                    ("confirm", "Really?", ""), ("prompt", "Name of the list", "Groceries"),
                    ("prompt", "Again", "")]
    assert r["ok"] is True and r["cancel"] is False
    assert r["typed"] == "Weekend" and r["cancelled"] is None
    assert "needs some text" in r["empty"]
