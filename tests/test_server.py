"""The loopback app server, over real HTTP: headers, MIME types, token, Host and Origin."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyshell import config, runtime, security
from pyshell.server import AppServer, inject_head


@pytest.fixture
def served(app_dir: Path, pyshell_folders: dict[str, Path]
           ) -> Iterator[tuple[AppServer, list[tuple[str, str]]]]:
    logs: list[tuple[str, str]] = []
    server = AppServer(config.load(app_dir), runtime.ensure(), folders=pyshell_folders,
                       log=lambda s, t: logs.append((s, t)))
    with server:
        yield server, logs


def request(server: AppServer, path: str, method: str = "GET", headers: dict | None = None,
            body: bytes | None = None, host: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
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
        conn.request("GET", "/style.css")
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
    with connect(url, origin=f"http://127.0.0.1:{server.port}") as ws:
        ws.send("not the token")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
        assert info.value.rcvd.code == 4401
    for kwargs in ({"origin": "http://evil.example"},
                   {"additional_headers": {"Host": "evil.example"}}):
        with pytest.raises((InvalidStatus, ConnectionClosed)):
            with connect(url, **kwargs) as ws:
                ws.send(server.token)
                ws.recv(timeout=10)
    with connect(url, origin=f"http://127.0.0.1:{server.port}") as ws:
        ws.send(server.token)
        head = json.dumps({"op": "stat", "g": "g0", "p": "tasks.json"}).encode()
        ws.send(len(head).to_bytes(4, "little") + head)
        frame = ws.recv(timeout=10)
        size = int.from_bytes(frame[:4], "little")
        assert json.loads(frame[4:4 + size]) == {"error": "ENOENT"}
