"""A minimal Chrome DevTools Protocol client for QtWebEngine's debugging endpoint.

Playwright's connect_over_cdp needs browser-context commands QtWebEngine does not
implement, but a page target's own WebSocket answers Runtime/Page/Input commands.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect


class CDPPage:
    def __init__(self, debug_port: int, timeout: float = 60) -> None:
        url = self._page_ws(debug_port, timeout)
        self._ws = connect(url, max_size=64 * 1024 * 1024, open_timeout=30).__enter__()
        self._ids = itertools.count(1)

    @staticmethod
    def _page_ws(port: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=5) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no DevTools page target on port {port}")
            time.sleep(0.2)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv(timeout=60))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, expected: Any, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while (value := self._evaluate_when_loaded(expression)) != expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} stayed {value!r}, wanted {expected!r}")
            time.sleep(0.1)
        return value

    def _evaluate_when_loaded(self, expression: str) -> Any:
        try:
            return self.evaluate(expression)
        except RuntimeError as exc:  # the target exists before its document does
            if "execution context" in str(exc):
                return None
            raise

    def type_text(self, text: str) -> None:
        self.call("Input.insertText", text=text)

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                      windowsVirtualKeyCode=13, text="\r" if kind == "keyDown" else "")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self._ws.close()
