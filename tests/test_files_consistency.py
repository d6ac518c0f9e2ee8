"""What the app's Python sees when the host changes granted files while it runs, and
streaming of a 200 MB file through a grant."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.apps import app_with_buttons, grant_toml, write_app

pytestmark = pytest.mark.page

LOOK = r'''
import hashlib, json, os
from pyshell import dom

def main():
    dom.select("#out").text = "ready"

@dom.on("click", "#look")
def look(event):
    found = {"listing": sorted(os.listdir("/data")),
             "exists": os.path.exists("/data/note.txt")}
    if found["exists"]:
        found["text"] = open("/data/note.txt").read()
        found["size"] = os.stat("/data/note.txt").st_size
    dom.select("#out").text = json.dumps(found)

@dom.on("click", "#stream")
def stream(event):
    digest = hashlib.sha256()
    block = bytes(range(256)) * 4096  # 1 MiB
    with open("/data/big.bin", "wb") as f:
        for i in range(200):
            f.write(block)
            digest.update(block)
    check = hashlib.sha256()
    with open("/data/big.bin", "rb") as f:
        while chunk := f.read(4 << 20):
            check.update(chunk)
    dom.select("#out").text = json.dumps({"wrote": digest.hexdigest(), "read": check.hexdigest()})
'''


@pytest.fixture
def page_and_data(tmp_path: Path, pyshell_browser):
    data = tmp_path / "data"
    data.mkdir()
    app = write_app(tmp_path / "app", LOOK, grant_toml(data, "/data", "rw"))
    buttons = ["look", "stream"]
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", buttons) as (page, _):
        yield page, data

def look(page) -> dict:
    before = page.locator("#out").inner_text()
    page.click("#look")
    expect(page.locator("#out")).not_to_have_text(before)
    return json.loads(page.locator("#out").inner_text())


def test_host_changes_show_at_once(page_and_data) -> None:
    page, data = page_and_data
    assert look(page) == {"listing": [], "exists": False}
    (data / "note.txt").write_text("first")
    assert look(page) == {"listing": ["note.txt"], "exists": True, "text": "first", "size": 5}
    (data / "note.txt").write_text("second, longer")
    (data / "other.txt").write_text("x")
    assert look(page) == {"listing": ["note.txt", "other.txt"], "exists": True,
                          "text": "second, longer", "size": 14}
    (data / "note.txt").unlink()
    assert look(page) == {"listing": ["other.txt"], "exists": False}


def test_200_mb_streams_through_a_grant(page_and_data) -> None:
    page, data = page_and_data
    page.click("#stream")
    expect(page.locator("#out")).to_contain_text("wrote", timeout=240_000)
    found = json.loads(page.locator("#out").inner_text())
    block = bytes(range(256)) * 4096
    expected = hashlib.sha256(block * 200).hexdigest()
    assert found == {"wrote": expected, "read": expected}
    assert (data / "big.bin").stat().st_size == 200 << 20
