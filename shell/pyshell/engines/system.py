"""The system's own webview on Windows (WebView2) and macOS (WKWebView): nothing to
install or set up; pywebview names them ``edgechromium`` and ``cocoa``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Engine

if TYPE_CHECKING:
    from webview.guilib import GUIType


class System(Engine):
    def __init__(self, name: GUIType) -> None:
        self.name = name

    def installed(self) -> bool:
        return True
