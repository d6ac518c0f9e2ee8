"""The system's own webview on Windows (WebView2) and macOS (WKWebView): nothing to
install or set up; pywebview names them ``edgechromium`` and ``cocoa``."""

from __future__ import annotations

from .base import Engine


class System(Engine):
    def __init__(self, name: str) -> None:
        self.name = name

    def installed(self) -> bool:
        return True
