"""Images and media from the app's Python, in Chromium on the real server.

``files.url`` into ``<img src>``, ``dom.object_url`` of bytes made in Python, ``await
files.read_bytes`` that lets another event's handler run meanwhile, and ``await
files.thumbnail`` of real PNG and JPEG files (PNGs written here, JPEGs by ImageMagick).
"""

from __future__ import annotations

import inspect
import json
import shutil
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kit.apps import BLANK_UI, app_with_buttons, grant_toml, write_app
from kit.images import jpeg, png, turned

pytestmark = pytest.mark.page

BIG = 48 << 20


APP = inspect.getsource(png) + r'''
import json, os, struct, zlib
from pyshell import dom, files

order = []

def main():
    body = dom.select("body")
    for name in ("img", "blob", "thumb1", "thumb2", "small", "turned", "gif"):
        body.append(dom.create("img", attrs={"id": f"{name}-img"}))
    body.append(dom.create("div", attrs={"id": "gallery"}))
    dom.select("#out").text = "ready"

def say(value):
    dom.select("#out").text = json.dumps(value)

@dom.on("click", "#show")
def show(event):
    address = files.url("/pics/cat.png")
    dom.select("#img-img").attr("src", address)
    say(address)

@dom.on("click", "#errors")
def errors(event):
    seen = {}
    for path in ("/pics/missing.png", "/pics/link.png", "/pics/sub", "/tmp",
                 "/nowhere/x.png", "/pics/../secret.png"):
        try:
            files.url(path)
            seen[path] = "no error"
        except OSError as exc:
            seen[path] = type(exc).__name__
    say(seen)

@dom.on("click", "#revoke")
def revoke(event):
    address = files.url("/pics/cat.png")
    files.revoke_url(address)
    say(address)

@dom.on("click", "#blob")
def blob(event):
    address = dom.object_url(png(3, 2, (0, 200, 0)), "image/png")
    dom.select("#blob-img").attr("src", address)
    say(address)

@dom.on("click", "#slow")
async def slow(event):
    order.append("slow-start")
    data = await files.read_bytes("/pics/big.bin")
    text = await files.read_text("/pics/notes.txt")
    order.append(f"slow-end {len(data)} {text}")
    say(order)

@dom.on("click", "#syncslow")
def syncslow(event):
    order.append("slow-start")
    with open("/pics/big.bin", "rb") as f:
        data = f.read()
    order.append(f"slow-end {len(data)} hello")
    say(order)

@dom.on("click", "#quick")
def quick(event):
    order.append("quick")
    say(order)

@dom.on("click", "#reset")
def reset(event):
    order.clear()
    say(order)

@dom.on("click", "#thumbs")
async def thumbs(event):
    result = {}
    first = await files.thumbnail("/pics/photo.jpg", 200)
    result["cached"] = first == await files.thumbnail("/pics/photo.jpg", 200)
    result["photo"] = first
    tall = await files.thumbnail("/pics/tall.png", 100)
    dom.select("#thumb1-img").attr("src", first)
    dom.select("#thumb2-img").attr("src", tall)
    dom.select("#small-img").attr("src", await files.thumbnail("/pics/cat.png", 200))
    dom.select("#turned-img").attr("src", await files.thumbnail("/pics/turned.jpg", 100))
    dom.select("#gif-img").attr("src", await files.thumbnail("/pics/wide.gif", 40))
    for name in ("fake.png", "corrupt.jpg", "missing.png"):
        try:
            await files.thumbnail(f"/pics/{name}", 50)
            result[name] = "no error"
        except Exception as exc:
            result[name] = f"{type(exc).__name__}: {exc}"
    say(result)

@dom.on("click", "#thumbcap")
async def thumbcap(event):
    files.THUMBNAIL_CACHE_BYTES = 1  # each new thumbnail pushes out all the others
    try:
        first = await files.thumbnail("/pics/cat.png", 20)
        second = await files.thumbnail("/pics/tall.png", 20)
        kept = second == await files.thumbnail("/pics/tall.png", 20)
        again = await files.thumbnail("/pics/cat.png", 20)
    finally:
        files.THUMBNAIL_CACHE_BYTES = 64 << 20
    say({"first": first, "second": second, "kept": kept, "again": again})

@dom.on("click", "#lazy")
def lazy(event):
    near, far, eager, made = (files.url("/pics/cat.png") for _ in range(4))
    gallery = dom.select("#gallery")
    gallery.html = (f'<img id="near" src="{near}"><div style="height: 30000px"></div>'
                    f'<img id="eager" src="{eager}" loading="eager"><img id="far" src="{far}">')
    gallery.append(dom.create("img", attrs={"id": "made", "src": made}))
    say({"near": near, "far": far, "eager": eager, "made": made})
'''

BUTTONS = ["show", "errors", "revoke", "blob", "slow", "syncslow", "quick", "reset", "thumbs",
           "lazy", "thumbcap"]


def make_pics(folder: Path) -> Path:
    folder.mkdir()
    (folder / "cat.png").write_bytes(png(40, 30))
    (folder / "tall.png").write_bytes(png(300, 600, (10, 10, 250)))
    jpeg(folder / "photo.jpg", 1000, 750)
    jpeg(folder / "turned.jpg", 400, 200)  # red at the top, blue at the bottom, as stored
    (folder / "turned.jpg").write_bytes(turned((folder / "turned.jpg").read_bytes(), 6))
    (folder / "fake.png").write_text("not an image at all\n" * 100)
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64)
    (folder / "notes.txt").write_text("hello")
    subprocess.run(["convert", "-size", "160x80", "xc:green", str(folder / "wide.gif")],
                   check=True)
    return folder


@pytest.fixture(scope="module")
def pics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("media")
    folder = make_pics(tmp_path / "pics")
    (folder / "sub").mkdir()
    (folder / "link.png").symlink_to(folder / "cat.png")
    (tmp_path / "secret.png").write_bytes(png(5, 5))
    with open(folder / "big.bin", "wb") as f:
        for index in range(BIG >> 20):
            f.write(bytes([index % 251]) * (1 << 20))
    return folder


@pytest.fixture(scope="module")
def app_page(pyshell_browser, pics: Path):
    """One app for the module: a boot costs more than every test here together."""
    app = write_app(pics.parent / "app", APP, grant_toml(pics, "/pics", "ro"))
    with app_with_buttons(pyshell_browser, app, pics.parent / "appdata", BUTTONS) as (page, server):
        yield page, server


def errors_shown(page: Any) -> str:
    """The app's traceback in the error panel, if one is shown (for failure messages)."""
    panel = page.locator("#pyshell-error pre")
    return panel.inner_text() if panel.count() else ""


def click(page: Any, button: str) -> Any:
    page.locator("#out").evaluate("el => el.textContent = ''")
    page.click(f"#{button}")
    expect(page.locator("#out")).not_to_be_empty(timeout=60_000)
    return json.loads(page.locator("#out").inner_text())


def natural_size(page: Any, selector: str, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        size = page.locator(selector).evaluate(
            "el => el.complete ? [el.naturalWidth, el.naturalHeight] : null")
        if size and size[0] or time.monotonic() > deadline:
            return list(size or [0, 0])
        time.sleep(0.05)


def test_a_file_url_loads_in_an_img(app_page) -> None:
    page, server = app_page
    address = click(page, "show")
    assert address.startswith("/_pyshell/file/") and address.endswith("/cat.png")
    assert natural_size(page, "#img-img") == [40, 30]
    status = page.evaluate(f"fetch({address!r}).then(r => r.status)")
    assert status == 200


def test_refusals_are_the_exceptions_file_operations_raise(app_page) -> None:
    page, _ = app_page
    assert click(page, "errors") == {
        "/pics/missing.png": "FileNotFoundError", "/pics/link.png": "PermissionError",
        "/pics/sub": "IsADirectoryError", "/tmp": "PermissionError",
        "/nowhere/x.png": "FileNotFoundError", "/pics/../secret.png": "FileNotFoundError"}


def test_a_revoked_url_loads_nothing(app_page) -> None:
    page, _ = app_page
    address = click(page, "revoke")
    assert page.evaluate(f"fetch({address!r}).then(r => r.status)") == 404


def test_object_url_of_bytes_made_in_python(app_page) -> None:
    page, _ = app_page
    address = click(page, "blob")
    assert address.startswith("blob:http://127.0.0.1:")
    assert natural_size(page, "#blob-img") == [3, 2]


def test_an_async_read_lets_another_handler_finish_first(app_page) -> None:
    page, _ = app_page
    click(page, "reset")
    page.click("#slow")
    page.click("#quick")
    try:
        expect(page.locator("#out")).to_contain_text("slow-end", timeout=60_000)
    except AssertionError:
        pytest.fail(f"the read did not end: {errors_shown(page)}")
    assert json.loads(page.locator("#out").inner_text()) == [
        "slow-start", "quick", f"slow-end {BIG} hello"]
    # The control: a plain read holds the other handler until it is done.
    click(page, "reset")
    page.click("#syncslow")
    page.click("#quick")
    expect(page.locator("#out")).to_contain_text("quick", timeout=60_000)
    assert json.loads(page.locator("#out").inner_text()) == [
        "slow-start", f"slow-end {BIG} hello", "quick"]


def test_thumbnails_keep_the_aspect_and_name_bad_files(app_page, pics: Path) -> None:
    """Made on the host, by its sandboxed decoder: the page reads no JPEG or PNG (only the
    GIF and the text file named .png, which the host leaves to it)."""
    asked = check_thumbnails(app_page[0], pics)
    read = {url.rsplit("/", 1)[1] for url in asked if "/_pyshell/file/" in url}
    assert read == {"wide.gif", "fake.png"}, asked


def test_the_page_makes_thumbnails_where_the_host_cannot(pyshell_browser,
                                                         tmp_path: Path) -> None:
    """Where no decoder runs on the host (no image library, no sandbox), the page decodes
    and scales the picture itself, to the same result."""
    pics = make_pics(tmp_path / "pics")
    app = write_app(tmp_path / "app", APP, grant_toml(pics, "/pics", "ro"), name="page-thumbs")
    from pyshell.runtime import cache_root

    shutil.rmtree(cache_root() / "thumbnails" / "page-thumbs", ignore_errors=True)
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", BUTTONS) as (page, server):
        server.thumb_maker.backends = ("none",)  # a decoder with no image library to use
        asked = check_thumbnails(page, pics)
    assert [url for url in asked if "/_pyshell/file/" in url], asked  # read by the page


def check_thumbnails(page: Any, pics: Path) -> list[str]:
    """What the page asked of pyshell's routes for thumbnails (URLs)."""
    asked: list[str] = []
    page.context.on("request", lambda r: asked.append(r.url) if "/_pyshell/" in r.url else None)
    result = click(page, "thumbs")
    assert result["cached"] is True
    assert natural_size(page, "#thumb1-img") == [200, 150]
    top, bottom = page.locator("#thumb1-img").evaluate("""img => {
        const c = new OffscreenCanvas(200, 150), g = c.getContext("2d");
        g.drawImage(img, 0, 0);
        return [[...g.getImageData(100, 2, 1, 1).data], [...g.getImageData(100, 147, 1, 1).data]];
    }""")  # the picture itself (a JPEG is decoded at a reduced scale where engines can)
    assert top[0] > 200 > 50 > top[2] and bottom[2] > 200 > 50 > bottom[0], (top, bottom)
    assert natural_size(page, "#thumb2-img") == [50, 100]
    assert natural_size(page, "#small-img") == [40, 30]  # never enlarged
    assert natural_size(page, "#gif-img") == [40, 20]  # a GIF: made by the page
    # A camera's picture stored sideways comes out as it is meant to be seen: turned a
    # quarter clockwise, its stored top (red) is on the right.
    assert natural_size(page, "#turned-img") == [50, 100]
    left, right = page.locator("#turned-img").evaluate("""img => {
        const c = new OffscreenCanvas(50, 100), g = c.getContext("2d");
        g.drawImage(img, 0, 0);
        return [[...g.getImageData(3, 50, 1, 1).data], [...g.getImageData(46, 50, 1, 1).data]];
    }""")
    assert left[2] > left[0] and right[0] > right[2], (left, right)
    assert result["fake.png"].startswith("ImageError: /pics/fake.png: cannot make a thumbnail")
    assert result["corrupt.jpg"].startswith("ImageError: /pics/corrupt.jpg")
    assert result["missing.png"].startswith("FileNotFoundError")
    # A changed file is a new thumbnail.
    jpeg(pics / "photo.jpg", 600, 600)
    again = click(page, "thumbs")
    assert again["photo"] != result["photo"]
    page.wait_for_timeout(100)
    assert natural_size(page, "#thumb1-img") == [200, 200]
    return asked


def test_grant_images_load_lazily_unless_the_app_says_otherwise(app_page) -> None:
    """An off-screen <img> of a grant URL (in markup or made and given a src) is not asked
    of the host until it is scrolled near; one the app marked eager is, at once."""
    page, server = app_page
    asked: list[str] = []
    lookup = server.files.urls.lookup
    server.files.urls.lookup = lambda token: asked.append(token) or lookup(token)
    try:
        urls = click(page, "lazy")
        assert natural_size(page, "#near") == [40, 30]
        assert natural_size(page, "#eager") == [40, 30]
        tokens = {name: url.split("/")[3] for name, url in urls.items()}
        assert {tokens["near"], tokens["eager"]} <= set(asked)
        assert tokens["far"] not in asked and tokens["made"] not in asked
        assert page.eval_on_selector_all("#gallery img", "els => els.map(e => e.loading)") == [
            "lazy", "eager", "lazy", "lazy"]
        page.locator("#made").scroll_into_view_if_needed()
        assert natural_size(page, "#far") == [40, 30]
        assert natural_size(page, "#made") == [40, 30]
        assert {tokens["far"], tokens["made"]} <= set(asked)
    finally:
        del server.files.urls.lookup


def test_the_thumbnail_cache_is_bounded(app_page) -> None:
    """Past files.THUMBNAIL_CACHE_BYTES the least recently asked-for thumbnails are revoked
    (their blob: URLs load nothing) and made anew when asked for again."""
    page, _ = app_page
    made = click(page, "thumbcap")
    loads = ("url => new Promise((done) => { const img = new Image();"
             " img.onload = () => done(true); img.onerror = () => done(false); img.src = url; })")
    assert made["kept"] is True
    assert page.evaluate(loads, made["first"]) is False
    assert page.evaluate(loads, made["again"]) is True
    assert made["again"] != made["first"]
    assert page.evaluate(loads, made["second"]) is False  # pushed out by "again"


KEPT_APP = r'''
import json
from pyshell import dom, files

def main():
    dom.select("#out").text = "ready"

@dom.on("click", "#thumb")
async def thumb(event):
    made = await files.thumbnail("/pics/tall.png", 60)
    dom.select("#t").attr("src", made)
    dom.select("#out").text = "made"
'''


@pytest.mark.parametrize("maker", ["host", "page"])
def test_a_thumbnail_is_kept_for_the_next_launch(pyshell_browser, tmp_path: Path,
                                                 maker: str) -> None:
    """A thumbnail is made once (by the host's decoder, or by the page where the host has
    none); the host keeps its bytes, and the next launch gets them without the picture
    being read or decoded again, until the file changes."""
    from pyshell.runtime import cache_root

    folder = tmp_path / "pics"
    folder.mkdir()
    (folder / "tall.png").write_bytes(png(300, 600, (10, 10, 250)))
    app = write_app(tmp_path / "app", KEPT_APP, grant_toml(folder, "/pics", "ro"),
                    name=f"kept-thumbs-{maker}", ui=BLANK_UI.replace("<pre", '<img id="t"><pre'))
    kept = cache_root() / "thumbnails" / f"kept-thumbs-{maker}"
    shutil.rmtree(kept, ignore_errors=True)

    def launch() -> tuple[set[str], list[int]]:
        """What the launch fetched of pyshell's (by route) and the thumbnail's size."""
        with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["thumb"]) as (
                page, server):
            if maker == "page":
                server.thumb_maker.backends = ("none",)
            asked: list[str] = []
            page.context.on("request", lambda r: asked.append(r.url))
            page.click("#thumb")
            expect(page.locator("#out")).to_have_text("made")
            page.wait_for_function("() => document.querySelector('#t').naturalWidth > 0")
            size = page.evaluate("[document.querySelector('#t').naturalWidth,"
                                 " document.querySelector('#t').naturalHeight]")
        routes = {url.split("/_pyshell/", 1)[1].rsplit("/", 2)[0] for url in asked
                  if "/_pyshell/file/" in url or "/_pyshell/api/thumbs/" in url}
        return {r.split("/")[0] if r.startswith("file") else "thumbs" for r in routes}, size

    made = {"host": {"thumbs"}, "page": {"file", "thumbs"}}[maker]  # the page reads the file
    assert launch() == (made, [30, 60])  # read and scaled; kept
    assert [p.suffix for p in kept.iterdir()] == [".png"]
    assert stat.S_IMODE(next(kept.iterdir()).stat().st_mode) == 0o600
    assert launch() == (set(), [30, 60])  # the kept bytes, on the file channel: no file read
    (folder / "tall.png").write_bytes(png(200, 600, (10, 250, 10)))  # changed: made again
    assert launch() == (made, [20, 60])


MANY_APP = r'''
import asyncio, json
from pyshell import dom, files

asked = []  # how many thumbnails each host request for kept ones was for
real = files._js


class Counting:
    def __getattr__(self, name):
        return getattr(real(), name)

    def keptThumbnails(self, wanted):
        asked.append(len(json.loads(wanted)))
        return real().keptThumbnails(wanted)


files._js = Counting

def main():
    dom.select("#out").text = "ready"

@dom.on("click", "#many")
async def many(event):
    made = await asyncio.gather(*(files.thumbnail(f"/pics/{n}.png", 40) for n in range(4)))
    dom.select("#out").text = json.dumps({"asked": asked, "distinct": len(set(made))})
'''


@pytest.mark.parametrize("fast_path", [True, False], ids=["shared-memory", "xhr"])
def test_a_screenful_of_kept_thumbnails_is_one_request(pyshell_browser, tmp_path: Path,
                                                      fast_path: bool) -> None:
    """Thumbnails asked for together (a grid's visible cells) are looked up in one host
    request, on both transports; the next launch gets them all from it, reading no file."""
    from pyshell.runtime import cache_root

    folder = tmp_path / "pics"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.png").write_bytes(png(80, 60 + n, (10 * n, 10, 250)))
    name = f"many-thumbs-{fast_path}"
    app = write_app(tmp_path / "app", MANY_APP, grant_toml(folder, "/pics", "ro"), name=name)
    shutil.rmtree(cache_root() / "thumbnails" / name, ignore_errors=True)

    def launch() -> tuple[dict, set[str]]:
        with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["many"],
                              fast_path=fast_path) as (page, _):
            files: set[str] = set()  # thumbnails made (on the host) or files read
            page.context.on("request", lambda r: files.add(r.url) if "/_pyshell/file/" in
                            r.url or "/_pyshell/api/thumbs/" in r.url else None)
            page.click("#many")
            expect(page.locator("#out")).not_to_have_text("ready")
            return json.loads(page.locator("#out").inner_text()), files

    made, read = launch()
    assert made == {"asked": [4], "distinct": 4} and len(read) == 4  # none kept: all made
    kept, read = launch()
    assert kept == {"asked": [4], "distinct": 4} and read == set()
    assert len(list((cache_root() / "thumbnails" / name).iterdir())) == 4


CANCEL_APP = r'''
import asyncio, json
from pyshell import dom, files

minted, revoked, made = [], [], []  # file URLs to make thumbnails from; URLs revoked; made
making = asyncio.Event()
real = files._js


class Watching:
    def __getattr__(self, name):
        return getattr(real(), name)

    def keptThumbnails(self, wanted):
        answer = real().keptThumbnails(wanted)
        minted.extend(a["make"] for a in json.loads(answer) if a and "make" in a)
        return answer

    def revokeFileUrls(self, urls):
        revoked.extend(json.loads(urls))
        return real().revokeFileUrls(urls)

    def revokeObjectUrl(self, url):
        revoked.append(url)
        return real().revokeObjectUrl(url)

    async def thumbnail(self, source, max_px):
        making.set()
        answer = await real().thumbnail(source, max_px)
        made.append(json.loads(answer)["url"])
        return answer


files._js = Watching

def main():
    dom.select("#out").text = "ready"

async def settled(what):
    while not what:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    dom.select("#out").text = json.dumps({"minted": minted, "made": made, "revoked": revoked})

@dom.on("click", "#asking")
async def asking(event):
    task = asyncio.ensure_future(files.thumbnail("/pics/0.png", 40))
    await asyncio.sleep(0)  # it has asked the host for a kept thumbnail...
    task.cancel()  # ...and is gone before the answer
    await settled(minted)

@dom.on("click", "#making")
async def making_one(event):
    task = asyncio.ensure_future(files.thumbnail("/pics/1.png", 40))
    await making.wait()
    task.cancel()  # gone while the page makes it
    await settled(made)
'''


def test_a_cancelled_thumbnail_leaves_no_url_behind(pyshell_browser, tmp_path: Path) -> None:
    """A thumbnail whose task is cancelled (a cell scrolled away, a handler given up) revokes
    what was made for it once that comes: the file URL minted to make it from, and the
    thumbnail's own object URL, which then loads nothing."""
    folder = tmp_path / "pics"
    folder.mkdir()
    for n in range(2):
        (folder / f"{n}.png").write_bytes(png(80, 60, (10, 10 + n, 250)))
    app = write_app(tmp_path / "app", CANCEL_APP, grant_toml(folder, "/pics", "ro"),
                    name="cancelled-thumbs")
    with app_with_buttons(pyshell_browser, app, tmp_path / "appdata", ["asking", "making"]) as (
            page, _):
        page.click("#asking")
        expect(page.locator("#out")).not_to_have_text("ready")
        asked = json.loads(page.locator("#out").inner_text())
        assert len(asked["minted"]) == 1 and asked["made"] == []
        assert asked["minted"][0] in asked["revoked"]
        page.click("#making")
        expect(page.locator("#out")).not_to_have_text(json.dumps(asked))
        making = json.loads(page.locator("#out").inner_text())
        assert len(making["minted"]) == 2 and len(making["made"]) == 1
        assert {making["minted"][1], making["made"][0]} <= set(making["revoked"])
        loads = page.evaluate("(url) => fetch(url).then(() => 'loads', () => 'gone')",
                              making["made"][0])
        assert loads == "gone"
