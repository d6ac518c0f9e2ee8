"""Drop a file on a real window: ``python window_drop_harness.py APP_DIR FILE [ENGINE]``.

The app runs as ``pyshell run`` runs it (same launcher, server and window code); once it
has started, the harness drops FILE on the window's web view, as a desktop drag does:

- Qt: it posts the drag-enter, drag-move and drop events a desktop drag delivers to the
  view, carrying FILE as a local URL;
- GTK: a real drag over X (XDND) with the mouse (xdotool), from a small window of the
  harness's own that offers FILE as text/uri-list, as a file manager does.

The app's on_drop writes what it found into #out. Prints one ``FINDINGS {json}`` line,
then closes the window.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from menu_harness import GtkMenus, on_gui
from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import engines, launcher

OUT = "document.querySelector('#out').textContent"


def qt_drop(window: Any, path: str) -> None:
    from PySide6 import QtCore, QtGui

    view = window.native.webview
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(path)])
    view._pyshell_mime = mime  # alive until the events are handled
    action = QtCore.Qt.DropAction.CopyAction
    button, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier
    at = QtCore.QPoint(40, 40)
    for event in (QtGui.QDragEnterEvent(at, action, mime, button, none),
                  QtGui.QDragMoveEvent(at, action, mime, button, none),
                  QtGui.QDropEvent(QtCore.QPointF(at), action, mime, button, none)):
        QtCore.QCoreApplication.postEvent(view, event)  # thread-safe: handled on the GUI's


def drag_source(path: str) -> tuple[int, int]:
    """A window offering ``path`` as a file to drag (on the GUI thread); its centre."""
    from gi.repository import Gdk, Gtk

    source = Gtk.Window(title="drag source")
    source.set_decorated(False)
    source.move(1000, 40)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="report.txt"))
    box.set_size_request(160, 80)
    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK,
                        [Gtk.TargetEntry.new("text/uri-list", 0, 0)], Gdk.DragAction.COPY)
    box.connect("drag-data-get", lambda w, ctx, data, info, t: data.set_uris(
        [Path(path).as_uri()]))
    source.add(box)
    source.show_all()
    source._pyshell_box = box  # kept alive with the window
    return 1000 + 80, 40 + 40


def gtk_drop(window: Any, engine: engines.Engine, path: str) -> None:
    x0, y0 = on_gui(engine, lambda: drag_source(path))
    time.sleep(0.5)  # no event says the new window is mapped
    left, top = on_gui(engine, GtkMenus(window).view_origin)
    x1, y1 = left + 60, top + 60
    xdotool("mousemove", "--sync", str(x0), str(y0))
    xdotool("mousedown", "1")
    for step in range(1, 21):  # past GTK's drag threshold, then over the web view
        xdotool("mousemove", "--sync", str(x0 + (x1 - x0) * step // 20),
                str(y0 + (y1 - y0) * step // 20))
        time.sleep(0.03)
    time.sleep(0.3)
    xdotool("mouseup", "1")


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=30)


def drive(window: Any, engine: engines.Engine, path: str) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        if engine.name == "qt":
            qt_drop(window, path)
        else:
            gtk_drop(window, engine, path)
        poll(lambda: window.run_js(OUT).startswith("{"), 30, 0.1)
        findings["out"] = json.loads(window.run_js(OUT))
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
        window.destroy()


if __name__ == "__main__":
    app_dir, dropped = sys.argv[1:3]
    gui = sys.argv[3] if len(sys.argv) > 3 else "qt"
    chosen = engines.get(gui)
    sys.exit(launcher.run(app_dir, gui=gui, on_started=lambda w: drive(w, chosen, dropped)))
