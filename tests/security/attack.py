"""What the attack suite shares: a raw HTTP client, the server's routes, a launched app.

The server under attack is always real: in-process (``pyshell.testing.start_server``) or
``pyshell run --browser`` in a child process, whose browser is a recording stub (the one
edge replaced: the test opens the recorded link in real Chromium when it chooses to).
Every loop here is bounded and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kit.waits import wait_until

PYSHELL = [sys.executable, "-m", "pyshell.cli"]
ENGINE = "ab" * 12  # a well-formed engine id for the snapshot route

# Every route of the app server, with a method it answers.
ROUTES: list[tuple[str, str]] = [
    ("GET", "/"), ("GET", "/index.html"), ("GET", "/style.css"), ("HEAD", "/"),
    ("GET", "/?launch=1"), ("GET", "/_pyshell/wasm/loader.mjs"),
    ("GET", "/_pyshell/wasm/worker.mjs"), ("GET", "/_pyshell/runtime/pyodide.mjs"),
    ("GET", "/_pyshell/runtime/pyodide.asm.wasm"), ("GET", "/_pyshell/packages/x.whl"),
    ("GET", "/_pyshell/api/bundle.zip"), ("POST", "/_pyshell/api/log"),
    ("POST", "/_pyshell/api/fs?op=listdir"), ("POST", "/_pyshell/api/dialog"),
    ("POST", "/_pyshell/api/open-url"), ("POST", "/_pyshell/api/menu"),
    ("GET", f"/_pyshell/api/snapshot/{ENGINE}"),
    ("POST", "/_pyshell/api/closed"), ("POST", "/_pyshell/api/started"),
    ("GET", "/_pyshell/api/updates"), ("POST", "/_pyshell/api/updates/check"),
    ("POST", "/_pyshell/api/updates/restart"),
    ("PUT", f"/_pyshell/api/snapshot/{ENGINE}"), ("DELETE", f"/_pyshell/api/snapshot/{ENGINE}"),
    ("GET", "/_pyshell/api/dev"), ("GET", "/_pyshell/api/fs-socket"), ("GET", "/_pyshell/launch/"),
    ("GET", "/_pyshell/launch/x"), ("GET", "/_pyshell/nothing"), ("OPTIONS", "/"),
]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return "".join(f"{k}: {v}\n" for k, v in self.headers.items()) + self.body.decode(
            "latin-1")


def raw_request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes | None = None, host: str | None = None,
                timeout: float = 15) -> Answer:
    """One request on its own connection, exactly as written (no cookies unless given)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())
    finally:
        conn.close()


def probe_everything(port: int, headers: dict[str, str] | None = None) -> list[Answer]:
    """Every route, as a local process with no secret would ask (optionally as the page)."""
    return [raw_request(port, method, path, headers=headers,
                        body=b'{"stream":"stdout","text":"x","url":"https://a.example/"}'
                        if method in ("POST", "PUT") else None)
            for method, path in ROUTES]


def assert_nothing_given(answers: list[Answer], *secrets: str) -> None:
    """Refused, no cookie offered, no token in any form, none of ``secrets`` anywhere."""
    for (method, path), answer in zip(ROUTES, answers, strict=True):
        assert answer.status in (401, 403), (method, path, answer.status)
        assert "set-cookie" not in answer.headers, (method, path)
        text = answer.text()
        assert "pyshell-token" not in text and "pyshell-config" not in text, (method, path)
        for secret in secrets:
            assert secret not in text, (method, path)


@dataclass
class Launched:
    """``pyshell run --browser`` in a child process; its browser only records the link."""

    proc: subprocess.Popen
    port: int
    link_file: Path

    def link(self, timeout: float = 30) -> str:
        link: str = wait_until(lambda: self.link_file.exists() and self.link_file.read_text().strip(),
                               timeout, "the browser stub to be called")
        return link

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self) -> str:
        """Ctrl-C; returns its stderr. The app must exit 0."""
        import signal

        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err[-3000:]
        return err


def launch_browser_mode(app_dir: Path, tmp_path: Path, fd_limit: int | None = None) -> Launched:
    """Start ``pyshell run APP --browser`` with a browser stub that writes the link down.

    ``fd_limit``: the child's descriptor limit, soft and hard (it cannot raise it)."""
    link_file = tmp_path / "opened-link.txt"
    stub = tmp_path / "browser-stub"
    stub.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {link_file}\n')
    stub.chmod(0o755)
    env = dict(os.environ, BROWSER=str(stub), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    proc = subprocess.Popen([*PYSHELL, "run", str(app_dir), "--browser"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit if fd_limit else None)
    first = proc.stderr.readline()
    if "serving" not in first:
        proc.kill()
        raise AssertionError(first + proc.stderr.read())
    port = int(first.split("127.0.0.1:")[1].split("/")[0])
    return Launched(proc, port, link_file)
