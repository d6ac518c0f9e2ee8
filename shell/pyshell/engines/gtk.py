"""WebKitGTK through the system's PyGObject: what installed Linux apps use (nothing to
bundle), and the WebKit family of macOS's WKWebView."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..clipboardservice import Contents
from ..errors import PyshellError
from ..menumodel import Accel, Entry
from .base import KEEP_ALERT, Engine, Navigation, OnMenuClick, Post, call_on_gui_thread

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

    # ---- native menus: a Gtk.MenuBar above the web view, a Gtk.AccelGroup on the window --
    menus = True

    def set_menu(self, window: Any, bar: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        def build() -> None:
            from gi.repository import Gtk

            native = window.native  # pywebview's Gtk.ApplicationWindow
            _note_presses(_web_view(window))
            box, old_bar, old_accels = _menu_slot(native)
            if old_bar is not None:
                box.remove(old_bar)
                native.remove_accel_group(old_accels)
            accels = Gtk.AccelGroup()
            native.add_accel_group(accels)
            menubar = Gtk.MenuBar()
            for entry in bar:
                menubar.append(_item(entry, accels, on_click, {}))
            box.pack_start(menubar, False, False, 0)
            box.reorder_child(menubar, 0)
            menubar.show_all()
            menubar.set_visible(bool(bar))
            native._pyshell_menu = (box, menubar, accels)

        self.on_gui_thread(build)

    def popup_menu(self, window: Any, entries: tuple[Entry, ...], on_click: OnMenuClick) -> None:
        def show() -> None:
            from gi.repository import Gtk

            native = window.native
            menu = Gtk.Menu()
            groups: dict[str, Any] = {}
            for entry in entries:
                menu.append(_item(entry, None, on_click, groups))
            menu.attach_to_widget(native, None)
            menu.show_all()
            # The right-click that opened it (the page heard it first): GTK places the
            # menu and grabs the pointer from it.
            menu.popup_at_pointer(getattr(_web_view(window), "_pyshell_press", None))
            native._pyshell_popup = menu  # kept until the next one

        self.on_gui_thread(show)

    def edit(self, window: Any, role: str) -> None:
        def run() -> None:
            _web_view(window).execute_editing_command(_GTK_EDIT[role])

        self.on_gui_thread(run)

    def about(self, window: Any, title: str, text: str) -> None:
        def show() -> None:
            from gi.repository import Gtk

            dialog = Gtk.MessageDialog(transient_for=window.native, modal=True,
                                       message_type=Gtk.MessageType.INFO,
                                       buttons=Gtk.ButtonsType.OK, text=title)
            dialog.format_secondary_text(text)
            dialog.run()
            dialog.destroy()

        self.on_gui_thread(show)

    def on_gui_thread(self, func: Callable[[], None]) -> None:
        from gi.repository import GLib

        def once() -> bool:
            func()
            return False  # not again

        GLib.idle_add(once)


    def bring_to_front(self, window: Any) -> None:
        """``present``: de-iconified, raised and focused, maximized if it was."""
        self.on_gui_thread(lambda: window.native.present())

    def watch_drops(self, on_drop: Callable[[list[Path]], None]) -> None:
        """Every web view pywebview makes takes drags that offer files (text/uri-list)
        itself, ahead of WebKit, and hands the local files to ``on_drop``; other drags
        (text, images) stay the page's."""
        from webview.platforms import gtk

        original = gtk.BrowserView.__init__

        def init(view: Any, *args: Any, **kwargs: Any) -> None:
            original(view, *args, **kwargs)
            _take_file_drops(view.webview, on_drop)

        gtk.BrowserView.__init__ = init

    def start(self, on_started: Callable[[Any], None] | None, window: Any, *,
              debug: bool) -> None:
        """pywebview gives each window a private WebKit context of its own, each with its
        own network process; the app's windows share one (still private to this run)."""
        from webview.platforms import gtk

        context = gtk.webkit.WebContext
        shared: list[Any] = []
        make = context.new_ephemeral

        def ephemeral() -> Any:
            if not shared:
                shared.append(make())
            return shared[0]

        context.new_ephemeral = ephemeral
        super().start(on_started, window, debug=debug)

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
        return GtkClipboard(self.on_gui_thread)



# WebKit's editing commands (WEBKIT_EDITING_COMMAND_*), by menu role.
_GTK_EDIT = {"undo": "Undo", "redo": "Redo", "cut": "Cut", "copy": "Copy", "paste": "Paste",
             "select-all": "SelectAll"}
# Accelerator key names as GDK names its keys (letters and digits as is).
_GDK_KEYS = {"enter": "Return", "escape": "Escape", "tab": "Tab", "space": "space",
             "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
             "end": "End", "pageup": "Page_Up", "pagedown": "Page_Down", "up": "Up",
             "down": "Down", "left": "Left", "right": "Right", "plus": "plus",
             ",": "comma", ".": "period", ";": "semicolon", "'": "apostrophe", "/": "slash",
             "\\": "backslash", "[": "bracketleft", "]": "bracketright", "-": "minus",
             "=": "equal", "`": "grave"}


def gtk_accelerator(accel: Accel) -> str:
    """``Accel`` as Gtk.accelerator_parse reads it; ``<Primary>`` is Ctrl (Cmd on macOS)."""
    mods = "".join(name for name, on in (("<Primary>", accel.primary), ("<Control>", accel.ctrl),
                                         ("<Alt>", accel.alt), ("<Shift>", accel.shift),
                                         ("<Super>", accel.meta)) if on)
    key = _GDK_KEYS.get(accel.key) or (accel.key.upper() if accel.key.startswith("f")
                                       and len(accel.key) > 1 else accel.key)
    return mods + key


def _web_view(window: Any) -> Any:
    """pywebview's WebKit2.WebView in ``window``."""
    from webview.platforms import gtk

    return gtk.BrowserView.instances[window.uid].webview


def _note_presses(view: Any) -> None:
    """Keep the last mouse button press on the web view (once per view), for a context
    menu to open from."""
    if getattr(view, "_pyshell_press", False) is not False:
        return
    view._pyshell_press = None

    def pressed(widget: Any, event: Any) -> bool:
        widget._pyshell_press = event.copy()
        return False  # the page still gets it

    view.connect("button-press-event", pressed)


def _menu_slot(native: Any) -> tuple[Any, Any, Any]:
    """The box that holds the menu bar above the web view, made the first time (pywebview
    puts the web view's scrolled window straight in the window), with the bar and the
    accelerator group there now (None, None: none yet)."""
    slot = getattr(native, "_pyshell_menu", None)
    if slot is not None:
        return slot  # type: ignore[no-any-return]
    from gi.repository import Gtk

    content = native.get_child()
    native.remove(content)
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
    box.pack_end(content, True, True, 0)
    native.add(box)
    box.show()
    return box, None, None


def _item(entry: Entry, accels: Any, on_click: OnMenuClick, groups: dict[str, Any]) -> Any:
    """One Gtk menu item for ``entry`` (a submenu with its items); ``groups``: the radio
    groups of the menu it goes in. Named by the entry's id (tests find it by it)."""
    from gi.repository import Gtk

    if entry.kind == "separator":
        return Gtk.SeparatorMenuItem()
    if entry.kind == "submenu":
        item = Gtk.MenuItem(label=entry.label)
        submenu = Gtk.Menu()
        if accels is not None:
            submenu.set_accel_group(accels)
        inner: dict[str, Any] = {}
        for child in entry.items:
            submenu.append(_item(child, accels, on_click, inner))
        item.set_submenu(submenu)
        return item
    if entry.kind == "radio":
        item = Gtk.RadioMenuItem(label=entry.label)
        if entry.group in groups:
            item.join_group(groups[entry.group])
        groups[entry.group] = item
        item.set_active(entry.checked)
    elif entry.kind == "check":
        item = Gtk.CheckMenuItem(label=entry.label)
        item.set_active(entry.checked)
    else:
        item = Gtk.MenuItem(label=entry.label)
    item.set_name(entry.id)
    item.set_sensitive(entry.enabled)
    if entry.accel is not None and accels is not None:
        key, mods = Gtk.accelerator_parse(gtk_accelerator(entry.accel))
        item.add_accelerator("activate", accels, key, mods, Gtk.AccelFlags.VISIBLE)
    checkable = entry.kind in ("check", "radio")

    def activated(widget: Any) -> None:
        if entry.kind == "radio" and not widget.get_active():
            return  # the one a radio click unchecked
        on_click(entry, bool(widget.get_active()) if checkable else False)

    item.connect("activate", activated)  # after set_active: building clicks nothing
    return item


# Targets a GTK app offers for plain text, as Gtk.Clipboard.set_text does.
TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "TEXT", "STRING", "text/plain")


class GtkClipboard:
    """The CLIPBOARD selection, touched only on the GTK main loop. Text and HTML together
    need the selection API (Gtk.Clipboard.set_with_data is not usable from Python): an
    invisible widget owns the selection and answers each request for a target."""

    def __init__(self, post: Post) -> None:
        self._post = post
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

        return call_on_gui_thread(self._post, read)

    def write(self, contents: Contents) -> None:
        call_on_gui_thread(self._post, lambda: self._own(contents))

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


def _take_file_drops(view: Any, on_drop: Callable[[list[Path]], None]) -> None:
    """GTK's drag signals on ``view``: a handler connected here runs before WebKit's own
    (they run last), and answering True (or stopping the emission) keeps WebKit out."""
    from gi.repository import Gdk, GLib, Gtk

    files = Gdk.Atom.intern("text/uri-list", False)

    def offers_files(context: Any) -> bool:
        return any(target.name() == "text/uri-list" for target in context.list_targets())

    def motion(widget: Any, context: Any, x: int, y: int, time: int) -> bool:
        if not offers_files(context):
            return False
        Gdk.drag_status(context, Gdk.DragAction.COPY, time)
        return True

    def dropped(widget: Any, context: Any, x: int, y: int, time: int) -> bool:
        if not offers_files(context):
            return False
        widget.drag_get_data(context, files, time)
        return True

    def received(widget: Any, context: Any, x: int, y: int, data: Any, info: int,
                 time: int) -> None:
        if not offers_files(context):
            return
        widget.stop_emission_by_name("drag-data-received")
        paths = [Path(GLib.filename_from_uri(uri)[0]) for uri in data.get_uris()
                 if uri.startswith("file:")]
        Gtk.drag_finish(context, bool(paths), False, time)
        if paths:
            on_drop(paths)

    view.connect("drag-motion", motion)
    view.connect("drag-drop", dropped)
    view.connect("drag-data-received", received)


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


def _decode_html(data: bytes) -> str:
    """text/html as browsers put it: UTF-8, or UTF-16 with a byte-order mark (Firefox)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8", errors="replace")
