"""The loopback app server, over real HTTP: headers, MIME types, session, token, Host, Origin."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kit.waits import wait_until
from pyshell import config, security
from pyshell.contract import inject_head
from pyshell.server import AppServer
from pyshell.testing import app_server


@pytest.fixture
def served(app_dir: Path, pyshell_folders: dict[str, Path]
           ) -> Iterator[tuple[AppServer, list[tuple[str, str]]]]:
    logs: list[tuple[str, str]] = []
    server = app_server(config.load(app_dir), pyshell_folders,
                        log=lambda s, t: logs.append((s, t)))
    with server:
        yield server, logs


def request(server: AppServer, path: str, method: str = "GET", headers: dict | None = None,
            body: bytes | None = None, host: str | None = None,
            window: bool = True) -> http.client.HTTPResponse:
    """One request on a new connection; ``window``: with the window's session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
    if window:
        conn.putheader("Cookie", server.session.cookie_header())
    for key, value in (headers or {}).items():
        conn.putheader(key, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def token_header(server: AppServer) -> dict[str, str]:
    return {security.TOKEN_HEADER: server.token}


def test_binds_loopback_on_a_random_port(served) -> None:
    server, _ = served
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.port > 1024


@pytest.mark.parametrize(("path", "mime"), [
    ("/", "text/html"),
    ("/style.css", "text/css"),
    ("/_pyshell/wasm/loader.mjs", "text/javascript"),
    ("/_pyshell/runtime/pyodide.mjs", "text/javascript"),
    ("/_pyshell/runtime/pyodide.asm.wasm", "application/wasm"),
    ("/_pyshell/runtime/python_stdlib.zip", "application/zip"),
])
def test_mime_types_and_security_headers(served, path: str, mime: str) -> None:
    server, _ = served
    response = request(server, path)
    assert response.status == 200
    assert response.getheader("content-type").split(";")[0] == mime
    assert response.getheader("cross-origin-opener-policy") == "same-origin"
    assert response.getheader("cross-origin-embedder-policy") == "require-corp"
    assert response.getheader("cross-origin-resource-policy") == "same-origin"
    csp = response.getheader("content-security-policy")
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "'unsafe-eval'" not in csp.replace(
        "'wasm-unsafe-eval'", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.getheader("x-content-type-options") == "nosniff"
    assert response.getheader("access-control-allow-origin") is None
    assert response.getheader("set-cookie") is None


def test_index_carries_token_in_the_page_not_a_url(served) -> None:
    """Only for the window: the request carried the session cookie."""
    server, _ = served
    page = request(server, "/").body.decode()
    assert f'<meta name="pyshell-token" content="{server.token}">' in page
    assert '<script type="module" src="/_pyshell/wasm/loader.mjs">' in page
    assert page.index("pyshell-token") < page.index("<title>")
    assert f"?{server.token}" not in page and f"={server.token}&" not in page


def test_api_needs_the_token(served) -> None:
    server, logs = served
    no_token = request(server, "/_pyshell/api/bundle.zip")
    assert (no_token.status, no_token.body) == (401, b"pyshell: refused: missing or wrong token")
    wrong = request(server, "/_pyshell/api/bundle.zip", headers={security.TOKEN_HEADER: "x" * 43})
    assert wrong.status == 401
    ok = request(server, "/_pyshell/api/bundle.zip", headers=token_header(server))
    assert ok.status == 200 and ok.body[:2] == b"PK"
    post = request(server, "/_pyshell/api/log", "POST", body=b'{"stream":"stdout","text":"x"}')
    assert post.status == 401 and logs == []


def test_log_route_forwards_app_output(served) -> None:
    server, logs = served
    body = json.dumps({"stream": "stderr", "text": "boom"}).encode()
    response = request(server, "/_pyshell/api/log", "POST", headers=token_header(server), body=body)
    assert response.status == 204 and logs == [("stderr", "boom")]
    bad = request(server, "/_pyshell/api/log", "POST", headers=token_header(server), body=b"[")
    assert bad.status == 400


@pytest.mark.parametrize("host", ["evil.example:{port}", "localhost:{port}", "127.0.0.1",
                                  "127.0.0.1:1", ""])
def test_foreign_host_is_refused_everywhere(served, host: str) -> None:
    """DNS rebinding: a page on another name that resolves to 127.0.0.1 gets nothing."""
    server, _ = served
    for path in ("/", "/_pyshell/api/bundle.zip"):
        response = request(server, path, headers=token_header(server),
                           host=host.format(port=server.port))
        assert (response.status, response.body) == (403,
                                                     b"pyshell: refused: unexpected Host header")


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost:{port}"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_other_origins_are_refused(served, headers: dict[str, str]) -> None:
    server, _ = served
    headers = {k: v.format(port=server.port) for k, v in headers.items()}
    response = request(server, "/_pyshell/api/bundle.zip", headers={**headers,
                                                                    **token_header(server)})
    assert (response.status, response.body) == (403, b"pyshell: refused: cross-origin request")


def test_same_origin_request_passes(served) -> None:
    server, _ = served
    response = request(server, "/_pyshell/api/bundle.zip", headers={
        "Origin": f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": "same-origin",
        **token_header(server)})
    assert response.status == 200


def request_with(server: AppServer, path: str, pairs: list[tuple[str, str]]
                 ) -> http.client.HTTPResponse:
    """A GET with exactly these headers, repeated names kept (``{port}``: the server's)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for key, value in pairs:
        conn.putheader(key, value.format(port=server.port))
    conn.endheaders()
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


HOST, SELF = ("Host", "127.0.0.1:{port}"), "http://127.0.0.1:{port}"


@pytest.mark.parametrize("pairs", [
    [HOST, ("Origin", SELF), ("Origin", SELF)],
    [HOST, ("Origin", SELF), ("Origin", "http://evil.example")],
    [HOST, ("Origin", "http://evil.example"), ("Origin", SELF)],
    [HOST, ("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "cross-site")],
])
def test_an_origin_header_that_comes_twice_is_refused(served, pairs: list[tuple[str, str]]
                                                      ) -> None:
    """Which copy a check would read is the sender's choice: two of them is a refusal, even
    two good ones, on the page as on the API."""
    server, _ = served
    window = [(k, v) for k, v in server.credentials().items()]
    for path in ("/", "/_pyshell/api/bundle.zip"):
        response = request_with(server, path, [*pairs, *window])
        assert (response.status, response.body) == (403,
                                                     b"pyshell: refused: cross-origin request")
    assert request_with(server, "/_pyshell/api/bundle.zip", [HOST, *window]).status == 200


def through_guard(server: AppServer, kind: str, pairs: list[tuple[str, str]]
                  ) -> tuple[bool, list[dict]]:
    """Call the guard directly with a request (``kind``: http or websocket) carrying these
    headers, repeated names kept: whether the routes were reached, and what was sent."""
    import asyncio
    import threading

    from pyshell import guard

    reached: list[bool] = []
    sent: list[dict] = []

    async def routes(scope, receive, send) -> None:
        reached.append(True)

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    scope = {"type": kind, "path": "/_pyshell/api/fs-socket", "query_string": b"",
             "method": "GET", "headers": [(k.lower().encode(), v.format(port=server.port)
                                           .encode()) for k, v in pairs]}
    call = guard.protect(routes, server.port, server.token, server.session, print)
    # On a thread of its own: an earlier test may have left an event loop running here.
    runner = threading.Thread(target=asyncio.run, args=(call(scope, receive, send),))
    runner.start()
    runner.join()
    return bool(reached), sent


@pytest.mark.parametrize("hosts", [["127.0.0.1:{port}"] * 2, ["127.0.0.1:{port}", "evil.example"],
                                   ["evil.example", "127.0.0.1:{port}"]])
def test_two_host_headers_are_refused(served, hosts: list[str]) -> None:
    """Over HTTP/1.1 the server's parser refuses them (400) before any route; the guard
    refuses them too, whatever parser carries the request (here: called directly)."""
    server, _ = served
    window = [(k, v) for k, v in server.credentials().items()]
    response = request_with(server, "/", [*(("Host", h) for h in hosts), *window])
    assert response.status == 400 and server.token.encode() not in response.body
    reached, sent = through_guard(server, "http", [*(("Host", h) for h in hosts), *window])
    assert not reached and sent[0]["status"] == 403
    assert sent[1]["body"] == b"pyshell: refused: unexpected Host header"
    assert through_guard(server, "http", [HOST, *window]) == (True, [])  # one Host: passes


def test_a_websocket_with_two_origins_is_refused(served) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    server, _ = served
    url = f"ws://127.0.0.1:{server.port}/_pyshell/api/fs-socket"
    cookie = ("Cookie", server.session.cookie_header())
    for second in (server.url[:-1], "http://evil.example"):
        # The WebSocket library refuses the handshake itself (400) ...
        with pytest.raises(InvalidStatus) as info:
            with connect(url, origin=server.url[:-1], additional_headers=[cookie,
                                                                        ("Origin", second)]):
                pass
        assert info.value.response.status_code in (400, 403)
        # ... and so does the guard, before the socket is accepted.
        reached, sent = through_guard(server, "websocket", [HOST, ("Origin", SELF),
                                                            ("Origin", second), cookie])
        assert not reached and sent == [{"type": "websocket.close", "code": 4403, "reason": ""}]
    reached, _ = through_guard(server, "websocket", [HOST, ("Origin", SELF), cookie])
    assert reached


def test_two_tokens_are_refused_even_if_one_is_right(served) -> None:
    server, _ = served
    cookie = ("Cookie", server.session.cookie_header())
    for tokens in ([server.token, "x" * 43], ["x" * 43, server.token],
                   [server.token, server.token]):
        pairs = [HOST, cookie, *((security.TOKEN_HEADER, t) for t in tokens)]
        response = request_with(server, "/_pyshell/api/bundle.zip", pairs)
        assert (response.status, response.body) == (401,
                                                     b"pyshell: refused: missing or wrong token")


@pytest.mark.parametrize("path", ["/_pyshell/runtime/package.json.map", "/_pyshell/runtime/..%2f",
                                  "/_pyshell/runtime/console.html", "/../pyproject.toml",
                                  "/%2e%2e/pyproject.toml", "/_pyshell/nothing",
                                  "/_pyshell/wasm/../../pyproject.toml"])
def test_nothing_outside_the_served_folders(served, path: str) -> None:
    server, _ = served
    response = request(server, path)
    assert response.status == 404
    assert b"[project]" not in response.body


def test_keep_alive_reuses_the_connection(served) -> None:
    server, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/style.css", headers={"Cookie": server.session.cookie_header()})
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("connection") != "close"
    assert conn.sock is not None
    conn.close()


def test_inject_head_without_head() -> None:
    assert inject_head("<p>x</p>", "<meta>") == "<meta><p>x</p>"
    assert inject_head("<HEAD lang=en><title>", "<m>") == "<HEAD lang=en>\n<m><title>"


def test_listening_socket_is_tcp_so_responses_skip_nagle(served) -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto is TCP; without it every
    response split in two writes waited 40 ms for a delayed ACK (measured: 25 vs 1,300 req/s)."""
    import socket

    server, _ = served
    assert server._sock.proto == socket.IPPROTO_TCP


def test_file_socket_needs_token_host_and_origin(served) -> None:
    """The fast path's WebSocket: the same Host/Origin rules, the token as first message."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    server, _ = served
    url = f"ws://127.0.0.1:{server.port}/_pyshell/api/fs-socket"
    cookie = {"Cookie": server.session.cookie_header()}
    with connect(url, origin=f"http://127.0.0.1:{server.port}", additional_headers=cookie) as ws:
        ws.send("not the token")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
        assert info.value.rcvd.code == 4401
    for kwargs in ({"origin": "http://evil.example", "additional_headers": cookie},
                   {"additional_headers": {"Host": "evil.example", **cookie}},
                   {"origin": f"http://127.0.0.1:{server.port}"}):  # no session cookie
        with pytest.raises((InvalidStatus, ConnectionClosed)):
            with connect(url, **kwargs) as ws:
                ws.send(server.token)
                ws.recv(timeout=10)
    with connect(url, origin=f"http://127.0.0.1:{server.port}", additional_headers=cookie) as ws:
        ws.send(server.token)
        head = json.dumps({"op": "stat", "g": "g0", "p": "tasks.json"}).encode()
        ws.send(len(head).to_bytes(4, "little") + head)
        frame = ws.recv(timeout=10)
        size = int.from_bytes(frame[:4], "little")
        assert json.loads(frame[4:4 + size])["error"] == "ENOENT"


# ---- the window's session: no secret for anyone else -------------------------------------
PROBES = [("GET", "/"), ("GET", "/index.html"), ("GET", "/style.css"), ("GET", "/?x=1"),
          ("HEAD", "/"), ("GET", "/_pyshell/wasm/loader.mjs"),
          ("GET", "/_pyshell/runtime/pyodide.mjs"), ("GET", "/_pyshell/api/bundle.zip"),
          ("POST", "/_pyshell/api/log"), ("POST", "/_pyshell/api/fs?op=stat"),
          ("POST", "/_pyshell/api/dialog"), ("GET", "/_pyshell/api/snapshot/" + "ab" * 12),
          ("PUT", "/_pyshell/api/snapshot/" + "ab" * 12), ("GET", "/_pyshell/launch/"),
          ("GET", "/_pyshell/launch/guess"), ("GET", "/_pyshell/nothing")]


def assert_no_secret(server: AppServer, response: http.client.HTTPResponse) -> None:
    """Neither the token nor the session secret, in the body or any header."""
    text = response.body.decode("latin-1") + "".join(  # type: ignore[attr-defined]
        f"{k}: {v}\n" for k, v in response.getheaders())
    assert server.token not in text and not server.session.holds_secret(text)
    assert response.getheader("set-cookie") is None


@pytest.mark.parametrize(("method", "path"), PROBES)
def test_another_process_gets_no_secret_from_any_route(served, method: str, path: str) -> None:
    """A local process without the window's cookie (even with the token's header name)."""
    server, logs = served
    body = b'{"stream":"stdout","text":"x"}' if method in ("POST", "PUT") else None
    response = request(server, path, method, body=body, window=False,
                       headers={"Origin": f"http://127.0.0.1:{server.port}"})
    assert response.status == 403, (path, response.status)
    assert_no_secret(server, response)
    assert logs == []


def test_launch_link_works_once_and_sets_a_strict_httponly_cookie(served) -> None:
    server, _ = served
    link = server.launch_url().removeprefix(server.url[:-1])
    first = request(server, link, window=False)
    assert first.status == 303 and first.getheader("location") == "/"
    cookie = first.getheader("set-cookie")
    name, _, rest = cookie.partition("=")
    secret, *attributes = [part.strip() for part in rest.split(";")]
    assert name == f"pyshell-{server.port}" and server.session.holds_secret(secret)
    assert set(attributes) == {"HttpOnly", "SameSite=Strict", "Path=/"}  # no Expires: session
    assert server.token not in first.body.decode()  # type: ignore[attr-defined]
    again = request(server, link, window=False)
    assert again.status == 403
    assert_no_secret(server, again)
    page = request(server, "/", window=False, headers={"Cookie": f"{name}={secret}"})
    assert page.status == 200 and server.token in page.body.decode()  # type: ignore[attr-defined]
    reload = request(server, "/", window=False, headers={"Cookie": f"{name}={secret}"})
    assert reload.status == 200  # reloads (pyshell dev) keep working with the cookie


def test_launch_link_leads_only_to_this_server(served) -> None:
    server, _ = served
    base = server.url[:-1]
    page = request(server, server.launch_url("/style.css").removeprefix(base), window=False)
    assert page.getheader("location") == "/style.css"
    for target in ("//evil.example/", "http://evil.example/", "/\\evil.example"):
        link = server.launch_url().removeprefix(base) + "?" + urlencode({"to": target})
        assert request(server, link, window=False).getheader("location") == "/"


def test_launch_code_is_refused_with_a_post_or_a_wrong_code(served) -> None:
    server, _ = served
    link = server.launch_url().removeprefix(server.url[:-1])
    wrong = "y" if link.endswith("x") else "x"  # one character off, never the code itself
    assert request(server, link[:-1] + wrong, window=False).status == 403
    assert request(server, link, "POST", body=b"", window=False).status == 403
    assert request(server, link, window=False).status == 303  # refused tries spent nothing


# ---- other users' processes ---------------------------------------------------------------
TABLE = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:D431 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2 1
   2: 0100007F:9C40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1
"""
TABLE6 = """  sl  local_address                         remote_address                        st
   0: 0000000000000000FFFF00000100007F:D432 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000  1001        0 4 1
"""


def test_uid_is_read_from_the_clients_side_of_the_connection() -> None:
    from pyshell.peercred import uid_in_table

    server = ("127.0.0.1", 0x9C40)
    assert uid_in_table(TABLE, ("127.0.0.1", 0xD431), server) == 1000  # not the server's row
    assert uid_in_table(TABLE6, ("127.0.0.1", 0xD432), server) == 1001  # a v4-mapped socket
    assert uid_in_table(TABLE, ("127.0.0.1", 0xD432), server) is None


def test_own_connections_map_to_this_user(served) -> None:
    import os
    import socket

    from pyshell.peercred import peer_uid

    server, _ = served
    with socket.create_connection(("127.0.0.1", server.port)) as client:
        assert peer_uid(client.getsockname(), client.getpeername()) == os.getuid()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to connect as another user")
def test_another_users_connection_is_closed_unanswered(served) -> None:
    import subprocess
    import sys

    server, logs = served
    probe = ("import socket, sys\n"
             f"s = socket.create_connection(('127.0.0.1', {server.port}), timeout=10)\n"
             f"s.sendall(b'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:{server.port}\\r\\n\\r\\n')\n"
             "try:\n    data = s.recv(100)\nexcept ConnectionResetError:\n    data = b''\n"
             "print(repr(data))\n")

    def as_user(uid: int) -> str:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=30, user=uid, check=True).stdout.strip()

    assert as_user(65534) == "b''"  # nobody: closed before a byte of an answer
    assert as_user(os.getuid()).startswith("b'HTTP/1.1 403")  # this user: answered (no cookie)
    assert any("another user's process (uid 65534)" in text for _, text in logs)


# ---- request bodies ---------------------------------------------------------------------
def chunked_request(server: AppServer, path: str, pieces, method: str = "POST"
                    ) -> http.client.HTTPResponse:
    """A body streamed in chunks with no declared length, as the window's credentials."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", f"127.0.0.1:{server.port}")
    for key, value in server.credentials().items():
        conn.putheader(key, value)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for piece in pieces:
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: its answer is already there
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


@pytest.mark.parametrize(("path", "limit"), [("/_pyshell/api/log", 1 << 20),
                                             ("/_pyshell/api/dialog", 64 << 10),
                                             ("/_pyshell/api/fs?op=write", (16 << 20) + (64 << 10))])
def test_bodies_over_the_routes_limit_get_413_and_one_line(served, path: str, limit: int) -> None:
    server, logs = served
    declared = head_only(server, path, {**server.credentials(), "Content-Length": str(limit + 1)})
    assert declared.startswith(b"HTTP/1.1 413 ") and b"connection: close" in declared.lower()
    streamed = chunked_request(server, path, (b"y" * (64 << 10) for _ in range(limit // (64 << 10) + 2)))
    assert streamed.status == 413
    route = path.split("?")[0]
    lines = [text for _, text in logs if "413" in text]
    assert lines == [f"pyshell: refused a request body over {_size(limit)} to {route} (413)"] * 2
    assert all("\n" not in line for line in lines)


def head_only(server: AppServer, path: str, headers: dict[str, str]) -> bytes:
    """Send a request head announcing a body, and no body: the answer comes regardless."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


def test_bodies_within_the_limit_still_work(served) -> None:
    server, logs = served
    text = "z" * 500_000
    body = json.dumps({"stream": "stdout", "text": text}).encode()
    assert request(server, "/_pyshell/api/log", "POST", headers=server.credentials(),
                   body=body).status == 204
    assert logs == [("stdout", text)]


def snapshot_app(app_dir: Path, tmp_path: Path, pyshell_folders: dict[str, Path]) -> AppServer:
    return app_server(config.load(app_dir), pyshell_folders, snapshot_dir=tmp_path / "snaps",
                      log=lambda s, t: None)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """3 GiB of zeros in about 3 MiB of gzip, a whole valid stream. Built from one MiB's
    deflate output repeated (after a sync flush it is the same bytes every time) rather
    than by compressing 3 GiB, which takes 10 s."""
    import struct
    import zlib

    deflate, zeros, count = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(1 << 20), 3 << 10
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_SYNC_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_SYNC_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    final_empty_block = b"\x03\x00"
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + first + again * (count - 1)
            + final_empty_block + struct.pack("<II", crc, (count << 20) & 0xFFFFFFFF))


def test_a_gzip_bomb_is_refused_without_inflating_it_whole(
        app_dir: Path, tmp_path: Path, pyshell_folders, gzip_bomb: bytes) -> None:
    import time

    assert len(gzip_bomb) < 4 << 20
    logs: list[tuple[str, str]] = []
    server = app_server(config.load(app_dir), pyshell_folders, snapshot_dir=tmp_path / "snaps",
                        log=lambda s, t: logs.append((s, t)))
    engine = "ab" * 12
    with server:
        started = time.monotonic()
        pieces = (gzip_bomb[at:at + (256 << 10)] for at in range(0, len(gzip_bomb), 256 << 10))
        response = chunked_request(server, f"/_pyshell/api/snapshot/{engine}", pieces, "PUT")
        assert response.status == 400 and b"more than 1024 MiB" in response.body
        assert time.monotonic() - started < 20
        assert not list((tmp_path / "snaps").rglob("*.snap"))
        assert not list((tmp_path / "snaps").rglob(".snap-*"))  # no temp file left behind
        assert logs == [("stderr", "pyshell: start-up snapshot not stored "
                                   "(it inflates to more than 1024 MiB)")]


def test_only_snapshots_this_host_stored_are_served(app_dir: Path, tmp_path: Path,
                                                    pyshell_folders) -> None:
    import gzip
    import stat

    logs: list[tuple[str, str]] = []
    server = app_server(config.load(app_dir), pyshell_folders, snapshot_dir=tmp_path / "snaps",
                        log=lambda s, t: logs.append((s, t)))
    engine = "cd" * 12
    route = f"/_pyshell/api/snapshot/{engine}"
    good = gzip.compress(b"interpreter memory" * 1000)
    with server:
        put = request(server, route, "PUT", headers=server.credentials(), body=good)
        assert put.status == 204
        got = request(server, route, headers=server.credentials())
        assert got.status == 200 and got.getheader("x-pyshell-size") == str(18 * 1000)
        key = tmp_path / "snaps" / "snapshot.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_bytes() not in got.body  # type: ignore[attr-defined]
        # Another process plants its own snapshot over the stored one (a valid gzip).
        (stored,) = (tmp_path / "snaps").rglob("*.snap")
        stored.write_bytes(gzip.compress(b"someone else's interpreter" * 1000))
        planted = request(server, route, headers=server.credentials())
        assert planted.status == 404 and not stored.exists()
        assert [t for _, t in logs if "unusable" in t] == [
            "pyshell: start-up snapshot unusable (its MAC does not match: it was not stored "
            "by pyshell or was changed on disk); booting cold and making a new one"]


# ---- connections: timeouts, a cap, descriptors ------------------------------------------
def quick_server(app_dir: Path, folders: dict[str, Path], logs: list | None = None,
                 **limits) -> AppServer:
    from pyshell.connections import Limits

    server = app_server(config.load(app_dir), folders,
                        log=lambda s, t: logs.append((s, t)) if logs is not None else None)
    server.connection_limits = Limits(**limits)
    return server


def closed_within(sock, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` without answering, or None."""
    import time

    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        data = sock.recv(1)
    except TimeoutError:
        return None
    except ConnectionResetError:
        data = b""
    return time.monotonic() - started if data == b"" else None


def test_default_timeouts_are_seconds_not_minutes() -> None:
    from pyshell.connections import Limits
    from pyshell.guard.sockets import FIRST_MESSAGE_TIMEOUT

    assert Limits().head_timeout <= 10 and Limits().idle_timeout <= 30
    assert FIRST_MESSAGE_TIMEOUT <= 10


def test_slow_and_idle_connections_are_dropped_while_others_are_served(
        app_dir: Path, pyshell_folders) -> None:
    import socket
    import time

    with quick_server(app_dir, pyshell_folders, head_timeout=1.0, idle_timeout=2.0) as server:
        idle = socket.create_connection(("127.0.0.1", server.port))
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")  # ... and nothing more
        time.sleep(0.5)  # the test: half its head timeout later, the others are still served
        assert request(server, "/style.css").status == 200  # others are served meanwhile
        slow_after, idle_after = closed_within(slow, 5), closed_within(idle, 5)
        assert slow_after is not None and slow_after < 1.5
        assert idle_after is not None and 0.5 < idle_after < 2.5
        trickle = socket.create_connection(("127.0.0.1", server.port))
        for byte in b"GET / HTTP/1.1\r\n":  # a byte every 0.2 s: the head's clock still runs
            try:
                trickle.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.2)
        assert closed_within(trickle, 3) is not None
        for sock in (idle, slow, trickle):
            sock.close()


def test_connections_beyond_the_cap_are_closed_and_the_server_recovers(
        app_dir: Path, pyshell_folders) -> None:
    import socket
    import time

    logs: list[tuple[str, str]] = []
    server = quick_server(app_dir, pyshell_folders, logs, max_connections=20)
    with server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(30)]
        wait_until(lambda: logs, 5, "the refusal said")
        dropped = [s for s in held if closed_within(s, 0.2) is not None]
        assert len(dropped) == 10
        assert [t for _, t in logs] == ["pyshell: refused connections: more than 20 open at once"]
        for sock in held:
            sock.close()
        time.sleep(0.3)  # the server sees the closes: nothing outside it to wait on
        assert request(server, "/style.css").status == 200


def test_websockets_that_never_send_the_token_are_closed(served) -> None:
    import time

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    server, _ = served
    cookie = {"Cookie": server.session.cookie_header()}
    codes = set()
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(
            f"ws://127.0.0.1:{server.port}/_pyshell/api/fs-socket", origin=server.url[:-1],
            additional_headers=cookie)) for _ in range(50)]
        started = time.monotonic()
        for ws in sockets:
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=15)
            codes.add(info.value.rcvd.code if info.value.rcvd else None)
        assert time.monotonic() - started < 10
    assert codes == {4408}


@pytest.mark.parametrize(("soft", "hard", "expected"), [(1024, 4096, 4096), (1024, 1024, 1024),
                                                        (256, None, 16384)])
def test_descriptor_limit_is_raised_at_start(soft: int, hard: int | None, expected: int) -> None:
    import resource
    import subprocess
    import sys

    hard = hard or resource.getrlimit(resource.RLIMIT_NOFILE)[1]  # what this process may keep
    if hard < expected:
        pytest.skip(f"this machine's hard limit is {hard}")

    code = ("import resource\n"
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
            "from pyshell.connections import raise_fd_limit, connection_cap\n"
            "limit = raise_fd_limit()\n"
            "print(limit, resource.getrlimit(resource.RLIMIT_NOFILE)[0], connection_cap(limit))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(expected), str(expected), str(min(256, expected // 4))]


# ---- Content-Security-Policy --------------------------------------------------------------
def test_csp_lets_the_page_connect_to_this_server_only(served) -> None:
    server, _ = served
    csp = request(server, "/").getheader("content-security-policy")
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["connect-src"] == f"'self' ws://127.0.0.1:{server.port}"
    assert "*" not in csp


def test_readme_csp_table_is_the_header(served) -> None:
    """Each row of the CSP table in docs/guides/security.md is one directive exactly as the server sends it."""
    import re

    server, _ = served
    csp = request(server, "/").getheader("content-security-policy")
    readme = (Path(__file__).parent.parent / "docs" / "guides" / "security.md").read_text()
    table = readme[readme.index("| directive | why |"):]
    table = table[:table.index("\n\n")]
    rows = re.findall(r"^\s*\| `([^`]+)` \|", table, re.M)
    assert rows == [part.replace(str(server.port), "PORT") for part in csp.split("; ")]


# ---- the terminal -----------------------------------------------------------------------
def test_app_output_reaches_the_terminal_without_escape_sequences(served) -> None:
    import io

    from pyshell.terminal import print_sink

    out, err = io.StringIO(), io.StringIO()
    sink = print_sink(out, err)
    sink("stdout", "title\x1b]0;pwned\x07 next\tcol\r\nline two\x9b2J\x7f\x00")
    sink("stderr", "\x1b[2Jcleared?")
    assert out.getvalue() == "title\\x1b]0;pwned\\x07 next\tcol\\x0d\nline two\\x9b2J\\x7f\\x00\n"
    assert err.getvalue() == "\\x1b[2Jcleared?\n"
    assert not any(ch in out.getvalue() + err.getvalue() for ch in "\x1b\x07\x9b\r\x00")


def test_log_route_output_is_escaped_on_the_real_terminal(app_dir: Path, pyshell_folders,
                                                          capfd) -> None:
    server = app_server(config.load(app_dir), pyshell_folders)
    with server:
        body = json.dumps({"stream": "stdout", "text": "\x1b]0;retitled\x07done"}).encode()
        assert request(server, "/_pyshell/api/log", "POST", headers=server.credentials(),
                       body=body).status == 204
    assert capfd.readouterr().out == "\\x1b]0;retitled\\x07done\n"


def test_dev_reports_cannot_smuggle_escapes(capsys) -> None:
    from pyshell.dev.reload import Hub

    Hub().report({"kind": "css\x1b[2J", "ok": True, "ms": 3})
    assert capsys.readouterr().err == "pyshell dev: css\\x1b[2J update done in 3 ms\n"


@pytest.mark.parametrize("path", [f"/_pyshell/api/snapshot/{'ab' * 12}", "/_pyshell/api/log",
                                  "/_pyshell/api/fs?op=write", "/_pyshell/api/dialog"])
def test_a_client_leaving_mid_body_leaves_no_traceback(app_dir: Path, tmp_path: Path,
                                                      pyshell_folders, capfd, path: str) -> None:
    """A window closed while its snapshot uploads: nothing to report, nothing left over."""
    import socket
    import time

    server = app_server(config.load(app_dir), pyshell_folders, snapshot_dir=tmp_path / "snaps")
    with server:
        method = "PUT" if "snapshot" in path else "POST"
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in server.credentials().items())
                + "Content-Length: 100000\r\n\r\n")
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head.encode() + b"\x1f\x8b\x08" + bytes(5000))
            time.sleep(0.3)  # the test: the server reads a part of the body...
        time.sleep(0.3)  # ...then the client is gone
        assert request(server, "/style.css").status == 200
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not list((tmp_path / "snaps").rglob(".snap-*"))
