"""WebKitGTK through the system's PyGObject: what installed Linux apps use (nothing to
bundle), and the WebKit family of macOS's WKWebView."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import PyshellError
from .base import Engine, Navigation

# What the engine needs from the system, by distribution family.
SYSTEM_PACKAGES = ("python3-gi gir1.2-webkit2-4.1 (Debian, Ubuntu); python3-gobject "
                   "webkit2gtk4.1 (Fedora); python-gobject webkit2gtk-4.1 (Arch)")


class Gtk(Engine):
    name = "gtk"
    modules = ("gi",)
    probe_code = ("import gi; gi.require_version('Gtk', '3.0'); "
                  "gi.require_version('WebKit2', '4.1'); from gi.repository import WebKit2; "
                  "print('.'.join(map(str, (WebKit2.get_major_version(), "
                  "WebKit2.get_minor_version(), WebKit2.get_micro_version()))))")
    install_hint = ("apt-get install python3-gi gir1.2-webkit2-4.1 and use a venv made with "
                    "--system-site-packages")

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        return {
            # WebKitGTK only exposes SharedArrayBuffer with this switch (COOP/COEP are not
            # enough).
            "JSC_useSharedArrayBuffer": "1",
            # JSC's top tier competes with Pyodide's boot for 2 cores; measured 4.8 s -> 2.8 s.
            "JSC_thresholdForOMGOptimizeAfterWarmUp": "5000000",
            # No GPU under Xvfb or in VMs: the DMA-BUF renderer would show a blank window.
            "WEBKIT_DISABLE_DMABUF_RENDERER": "1",
        }

    def check_system(self) -> None:
        """One line naming the system packages to install when GTK/WebKit is missing."""
        try:
            import gi

            gi.require_version("Gtk", "3.0")
            gi.require_version("WebKit2", "4.1")
        except (ImportError, ValueError):
            raise PyshellError(f"missing system packages: {SYSTEM_PACKAGES}") from None

    def guard_navigation(self, navigation: Navigation) -> None:
        """WebKitGTK's decide-policy signal: ignore every navigation off the app's origin
        and every new window; pywebview's own handler sees the rest."""
        from webview.platforms import gtk

        webkit = gtk.webkit
        original = gtk.BrowserView.on_navigation

        def on_navigation(view: Any, webview: Any, decision: Any, decision_type: Any) -> bool:
            if isinstance(decision, webkit.NavigationPolicyDecision):
                action = decision.get_navigation_action()
                target = action.get_request().get_uri()
                new_window = decision_type == webkit.PolicyDecisionType.NEW_WINDOW_ACTION
                if new_window or not navigation.allows(target):
                    decision.ignore()
                    clicked = action.get_navigation_type() == webkit.NavigationType.LINK_CLICKED
                    navigation.left(target, clicked or new_window)
                    return True
            return bool(original(view, webview, decision, decision_type))

        gtk.BrowserView.on_navigation = on_navigation
