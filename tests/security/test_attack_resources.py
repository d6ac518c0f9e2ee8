"""Group 4: resource abuse against ``pyshell run`` in its own process (1,024 descriptors).

Huge bodies, slow request heads, idle sockets, WebSockets that never send their token,
and more connections than the process has descriptors, all in bounded loops on
127.0.0.1. Afterwards the server must still be up, its window's app must still work
(a task saved through its grant, a full reload), and its memory must be within 100 MB
of what it used idle.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

import pytest
from attack import launch_browser_mode, raw_request
from playwright.sync_api import expect

from pyshell.testing import wait_until_started

pytestmark = pytest.mark.page
FD_LIMIT = 1024


def closed(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (without waiting)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def wait_closed(socks: list[socket.socket], seconds: float) -> int:
    """How many of ``socks`` the server closed within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(closed(s) for s in socks):
        time.sleep(0.25)
    return sum(closed(s) for s in socks)


def test_the_server_survives_resource_abuse(app_dir: Path, tmp_path: Path, private_cache: Path,
                                            pyshell_browser) -> None:
    app = launch_browser_mode(app_dir, tmp_path, fd_limit=FD_LIMIT)  # soft = hard = 1,024
    port = app.port
    try:
        context = pyshell_browser.new_context()
        page = context.new_page()
        page.goto(app.link())
        wait_until_started(page)
        expect(page.locator("html")).to_have_attribute("data-pyshell-snapshot", "saved",
                                                       timeout=60_000)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        time.sleep(1)
        idle_kb = app.rss_kb()

        # Huge bodies, as another process: refused at the head, never read.
        for _ in range(10):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(f"PUT /_pyshell/api/snapshot/{'ab' * 12} HTTP/1.1\r\nHost: "
                          f"127.0.0.1:{port}\r\nContent-Length: {1 << 32}\r\n\r\n".encode())
                with contextlib.suppress(OSError):
                    for _ in range(64):  # 64 MiB pushed at it, as fast as it takes them
                        s.sendall(bytes(1 << 20))
                s.settimeout(10)
                assert s.recv(12) in (b"HTTP/1.1 403", b"")

        # Slow heads, idle sockets, and the window's own cookie on sockets with no token.
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
        for s in slow:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
        from websockets.sync.client import connect

        with contextlib.ExitStack() as stack:
            sockets = [stack.enter_context(connect(
                f"ws://127.0.0.1:{port}/_pyshell/api/fs-socket",
                origin=f"http://127.0.0.1:{port}", additional_headers={"Cookie": cookie}))
                for _ in range(50)]
            assert wait_closed(slow, 8) == len(slow)  # head timeout: seconds, not minutes
            for ws in sockets:  # first-message timeout
                with pytest.raises(Exception, match="4408"):
                    ws.recv(timeout=10)
        assert wait_closed(idle, 14) == len(idle)  # idle timeout
        for s in slow + idle:
            s.close()

        # More connections than the process has descriptors.
        flood = []
        with contextlib.suppress(OSError):
            for _ in range(1100):
                flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(1)
        assert app.proc.poll() is None
        dropped = sum(closed(s) for s in flood)
        assert len(flood) == 1100 and dropped >= 1100 - 256, dropped
        for s in flood:
            s.close()
        time.sleep(0.5)

        # Still up, still the app's: a normal request, a task saved, a full reload.
        assert raw_request(port, "GET", "/").status == 403
        assert raw_request(port, "GET", "/", headers={"Cookie": cookie}).status == 200
        page.fill("#new-title", "after the storm")
        page.press("#new-title", "Enter")
        # Survival, not latency: a loaded machine may still be draining the flood's backlog.
        expect(page.locator("#list")).to_contain_text("after the storm", timeout=20_000)
        page.reload()
        wait_until_started(page)
        expect(page.locator("#list")).to_contain_text("after the storm")
        assert (app.rss_kb() - idle_kb) < 100 * 1024, (idle_kb, app.rss_kb())
        context.close()
    finally:
        err = app.stop()
    assert "Traceback" not in err and "Too many open files" not in err, err[-2000:]
    assert os.path.exists(tmp_path / "xdg-data")
