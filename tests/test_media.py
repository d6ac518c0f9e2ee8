"""Files of grants as URLs (``/_pyshell/file/TOKEN/NAME``), on the real server.

The worker mints a URL with the ``url`` file operation; the page loads it with the
window's cookie and no token (as ``<img src>`` does). What is served is checked byte for
byte: ranges, caching headers, the security headers, refusals like every file operation's,
and nothing at all once the token or its grant is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from test_server import request, token_header

from kit.apps import grant_toml, write_app
from pyshell import config, fileurls
from pyshell.routes.grantfiles import byte_range
from pyshell.server import AppServer
from pyshell.testing import app_server

PICTURE = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def pics(tmp_path: Path) -> Path:
    folder = tmp_path / "pics"
    folder.mkdir()
    (folder / "cat.png").write_bytes(PICTURE)
    (folder / "notes.txt").write_text("hello")
    (folder / "page.html").write_text("<script>alert(1)</script>")
    (folder / "code.js").write_text("alert(1)")
    (folder / "sub").mkdir()
    (folder / "link.png").symlink_to(folder / "cat.png")
    os.mkfifo(folder / "pipe.png")
    (tmp_path / "secret.png").write_bytes(b"outside")
    return folder


@pytest.fixture
def served(tmp_path: Path, pics: Path) -> Iterator[AppServer]:
    app = write_app(tmp_path / "app", "def main():\n    pass\n", grant_toml(pics, "/pics", "ro"))
    server = app_server(config.load(app), {"appdata": tmp_path / "appdata"})
    with server:
        yield server


def fs_op(server: AppServer, op: str, args: dict) -> dict:
    response = request(server, f"/_pyshell/api/fs?op={op}", "POST", body=b"",
                       headers={**token_header(server),
                                "x-pyshell-fs": quote(json.dumps(args))})
    assert response.status == 200, response.body
    return json.loads(response.body)


def mint(server: AppServer, path: str) -> str:
    answer = fs_op(server, "url", {"g": "g0", "p": path})
    assert "ok" in answer, answer
    return str(answer["ok"])


def test_a_url_serves_the_file_with_its_type_and_the_security_headers(served) -> None:
    url = mint(served, "cat.png")
    assert url.startswith(fileurls.PREFIX) and url.endswith("/cat.png")
    assert len(fileurls.token_of(url) or "") >= 32
    response = request(served, url)  # the cookie only: no token header, as <img> loads
    assert response.status == 200
    assert response.body == PICTURE
    headers = {k.lower(): v for k, v in response.getheaders()}
    assert headers["content-type"] == "image/png"
    assert headers["content-length"] == str(len(PICTURE))
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"  # no copy of the file in the engine's cache
    assert headers["accept-ranges"] == "bytes"
    again = request(served, url, headers={"If-None-Match": headers["etag"]})
    assert again.status == 304 and again.body == b""
    head = request(served, url, "HEAD")
    assert head.status == 200 and head.getheader("content-length") == str(len(PICTURE))


def test_the_type_is_the_files_own_and_never_one_the_engine_runs(served) -> None:
    token = fileurls.token_of(mint(served, "cat.png"))
    renamed = request(served, f"{fileurls.PREFIX}{token}/cat.html")  # NAME is only for show
    assert renamed.status == 200 and renamed.getheader("content-type") == "image/png"
    for name in ("page.html", "code.js"):
        response = request(served, mint(served, name))
        assert response.getheader("content-type").startswith("text/plain"), name


def test_other_answers_still_say_no_store(served) -> None:
    assert request(served, "/").getheader("cache-control") == "no-store"
    assert request(served, "/_pyshell/file/nothing/x.png").getheader("cache-control") == "no-store"


def test_each_url_is_new_and_needs_the_windows_session(served) -> None:
    first, second = mint(served, "cat.png"), mint(served, "cat.png")
    assert first != second
    assert request(served, first, window=False).status == 403
    assert request(served, first, headers={"Origin": "http://evil.example"}).status == 403


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-99", 0, 99), ("bytes=100-", 100, len(PICTURE) - 1),
    ("bytes=-10", len(PICTURE) - 10, len(PICTURE) - 1),
    ("bytes=10000-99999", 10000, len(PICTURE) - 1)])
def test_byte_ranges_answer_206(served, header: str, start: int, end: int) -> None:
    url = mint(served, "cat.png")
    response = request(served, url, headers={"Range": header})
    assert response.status == 206
    assert response.getheader("content-range") == f"bytes {start}-{end}/{len(PICTURE)}"
    assert response.body == PICTURE[start:end + 1]
    assert response.getheader("content-length") == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=50-10", "bytes=-0", "bytes=abc",
                                    "lines=1-2"])
def test_bad_ranges_answer_416(served, header: str) -> None:
    response = request(served, mint(served, "cat.png"), headers={"Range": header})
    assert response.status == 416
    assert response.getheader("content-range") == f"bytes */{len(PICTURE)}"
    assert response.body == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=0-1, -5", "bytes=99999-,0-1"])
def test_several_ranges_get_the_whole_file(served, header: str) -> None:
    """RFC 9110 lets a server ignore a Range header: several ranges are answered 200."""
    response = request(served, mint(served, "cat.png"), headers={"Range": header})
    assert response.status == 200 and response.body == PICTURE
    assert response.getheader("content-range") is None


def test_if_range_with_an_old_etag_gets_the_whole_file(served) -> None:
    url = mint(served, "cat.png")
    response = request(served, url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert response.status == 200 and response.body == PICTURE


def test_byte_range_parsing() -> None:
    assert byte_range("bytes=0-0", 1) == (0, 0)
    assert byte_range("bytes=-5", 3) == (0, 2)
    assert byte_range("bytes=0-", 0) is None
    assert byte_range("bytes=-", 10) is None


@pytest.mark.parametrize(("path", "error"), [
    ("missing.png", "ENOENT"), ("sub", "EISDIR"), ("link.png", "EACCES"),
    ("pipe.png", "EACCES"), ("../secret.png", "EACCES"), ("", "EPERM")])
def test_urls_are_refused_as_opens_are(served, path: str, error: str) -> None:
    assert fs_op(served, "url", {"g": "g0", "p": path}) == {"error": error}
    assert len(served.files.urls) == 0


def test_unknown_grants_are_refused(served) -> None:
    assert fs_op(served, "url", {"g": "g9", "p": "cat.png"}) == {"error": "EACCES"}


def test_a_revoked_url_serves_nothing(served) -> None:
    url = mint(served, "cat.png")
    other = mint(served, "notes.txt")
    third = mint(served, "cat.png")
    assert fs_op(served, "revoke-url", {"urls": [f"http://127.0.0.1:{served.port}{url}"]}) == {
        "ok": [True]}
    assert fs_op(served, "revoke-url", {"urls": [url, third]}) == {"ok": [False, True]}
    for gone in (request(served, url), request(served, third)):
        assert gone.status == 404 and gone.body == b"not found"
    assert request(served, other).body == b"hello"


def test_urls_go_with_their_grant(served) -> None:
    url = mint(served, "cat.png")
    served.files.remove_grant("g0")
    assert request(served, url).status == 404
    assert len(served.files.urls) == 0
    assert fs_op(served, "url", {"g": "g0", "p": "cat.png"}) == {"error": "EACCES"}


def test_a_file_swapped_for_a_link_after_minting_is_not_served(served, pics: Path) -> None:
    url = mint(served, "cat.png")
    (pics / "cat.png").unlink()
    (pics / "cat.png").symlink_to(pics.parent / "secret.png")
    response = request(served, url)
    assert response.status == 404 and b"outside" not in response.body


def test_the_file_is_read_when_loaded_not_when_minted(served, pics: Path) -> None:
    url = mint(served, "notes.txt")
    (pics / "notes.txt").write_text("changed")
    assert request(served, url).body == b"changed"
    (pics / "notes.txt").unlink()
    assert request(served, url).status == 404


def test_a_big_file_is_streamed_not_read_whole(served, pics: Path) -> None:
    size = 96 << 20
    with open(pics / "big.bin", "wb") as f:
        for index in range(size // (1 << 20)):
            f.write(bytes([index % 251]) * (1 << 20))
    url = mint(served, "big.bin")
    tracemalloc.start()
    try:
        response = request(served, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(response.body) == size
    assert hashlib.sha256(response.body).digest() == hashlib.sha256(
        (pics / "big.bin").read_bytes()).digest()
    # The client's copy of the body is traced too: the server's own share stays small.
    assert peak - size < 16 << 20, f"peak {peak >> 20} MiB for a {size >> 20} MiB file"
