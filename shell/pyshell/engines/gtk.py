"""WebKitGTK through the system's PyGObject: what installed Linux apps use (nothing to
bundle), and the WebKit family of macOS's WKWebView."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..clipboardservice import Contents
from ..errors import PyshellError
from .base import KEEP_ALERT, Engine, Navigation, on_gui_thread

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

    def title_dialogs(self, title: str) -> None:
        """WebKitGTK's script-dialog signal, handled on every view pywebview makes: a GTK
        message dialog of our own, titled for the app."""
        from webview.platforms import gtk

        webkit = gtk.webkit
        original = gtk.BrowserView.__init__

        def init(view: Any, *args: Any, **kwargs: Any) -> None:
            original(view, *args, **kwargs)
            view.webview.get_user_content_manager().add_script(webkit.UserScript.new(
                KEEP_ALERT, webkit.UserContentInjectedFrames.TOP_FRAME,
                webkit.UserScriptInjectionTime.START, None, None))
            view.webview.connect("script-dialog", lambda webview, dialog: _script_dialog(
                view.window, title, dialog))

        gtk.BrowserView.__init__ = init

    def clipboard(self, window: Any) -> GtkClipboard:
        return GtkClipboard()


# Targets a GTK app offers for plain text, as Gtk.Clipboard.set_text does.
TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "TEXT", "STRING", "text/plain")


class GtkClipboard:
    """The CLIPBOARD selection, touched only on the GTK main loop. Text and HTML together
    need the selection API (Gtk.Clipboard.set_with_data is not usable from Python): an
    invisible widget owns the selection and answers each request for a target."""

    def __init__(self) -> None:
        self._owner: Any = None  # the widget that owns the selection we set

    def read(self) -> Contents:
        def read() -> Contents:
            from gi.repository import Gdk, Gtk

            board = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
            target = Gdk.Atom.intern("text/html", False)
            # Asked for a flavour it does not list, an owner such as xclip sends its text.
            html = board.wait_for_contents(target) if board.wait_is_target_available(
                target) else None
            data = html.get_data() if html is not None else None
            return Contents(board.wait_for_text() or "",
                            _decode_html(data) if data else None)

        return on_gui_thread(_post, read)

    def write(self, contents: Contents) -> None:
        on_gui_thread(_post, lambda: self._own(contents))

    def _own(self, contents: Contents) -> None:
        from gi.repository import Gdk, Gtk

        owner = Gtk.Invisible()
        board = Gdk.SELECTION_CLIPBOARD
        Gtk.selection_owner_set(owner, board, Gdk.CURRENT_TIME)
        html = Gdk.Atom.intern("text/html", False)
        if contents.html is not None:
            Gtk.selection_add_target(owner, board, html, 1)
        for name in TEXT_TARGETS:
            Gtk.selection_add_target(owner, board, Gdk.Atom.intern(name, False), 0)

        def answer(widget: Any, selection: Any, info: int, time: int) -> None:
            if info == 1 and contents.html is not None:
                selection.set(html, 8, contents.html.encode())
            else:
                selection.set_text(contents.text, -1)

        owner.connect("selection-get", answer)
        if self._owner is not None:
            self._owner.destroy()
        self._owner = owner


def _script_dialog(parent: Any, title: str, dialog: Any) -> bool:
    """Answer one alert, confirm or prompt of the page with a modal GTK dialog."""
    from gi.repository import Gtk, WebKit2

    kinds = WebKit2.ScriptDialogType
    kind = dialog.get_dialog_type()
    if kind not in (kinds.ALERT, kinds.CONFIRM, kinds.PROMPT):
        return False  # before-unload: WebKit's own
    box = Gtk.MessageDialog(transient_for=parent, modal=True, title=title,
                            message_type=Gtk.MessageType.QUESTION,
                            text=dialog.get_message())
    if kind != kinds.ALERT:
        box.add_button("_Cancel", Gtk.ResponseType.CANCEL)
    box.add_button("_OK", Gtk.ResponseType.OK)
    box.set_default_response(Gtk.ResponseType.OK)
    entry = None
    if kind == kinds.PROMPT:
        entry = Gtk.Entry(text=dialog.prompt_get_default_text(), activates_default=True)
        box.get_message_area().pack_start(entry, False, False, 0)
        entry.show()
    ok = box.run() == Gtk.ResponseType.OK
    if kind == kinds.CONFIRM:
        dialog.confirm_set_confirmed(ok)
    elif entry is not None and ok:
        dialog.prompt_set_text(entry.get_text())
    box.destroy()
    return True


def _post(job: Callable[[], None]) -> None:
    from gi.repository import GLib

    def once() -> bool:
        job()
        return False  # idle_add: do not run again

    GLib.idle_add(once)


def _decode_html(data: bytes) -> str:
    """text/html as browsers put it: UTF-8, or UTF-16 with a byte-order mark (Firefox)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8", errors="replace")
