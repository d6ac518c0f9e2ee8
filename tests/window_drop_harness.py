"""Drop a file on a real Qt window: ``python window_drop_harness.py APP_DIR FILE``.

The app runs as ``pyshell run`` runs it (same launcher, server and window code); once it
has started, the harness posts the drag-enter, drag-move and drop events a desktop drag
delivers to the window's web view, carrying FILE as a local URL. The app's on_drop writes
what it found into #out. Prints one ``FINDINGS {json}`` line, then closes the window.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from window_harness import wait_until_ready

from kit.waits import poll
from pyshell import launcher

OUT = "document.querySelector('#out').textContent"


def drop(view: Any, path: str) -> None:
    from PySide6 import QtCore, QtGui

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


def drive(window: Any, path: str) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        drop(window.native.webview, path)
        poll(lambda: window.run_js(OUT).startswith("{"), 30, 0.1)
        findings["out"] = json.loads(window.run_js(OUT))
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
        window.destroy()


if __name__ == "__main__":
    app_dir, dropped = sys.argv[1:3]
    sys.exit(launcher.run(app_dir, gui="qt", on_started=lambda w: drive(w, dropped)))
