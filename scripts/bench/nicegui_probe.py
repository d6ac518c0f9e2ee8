"""NiceGUI's native mode (native CPython + pywebview), for comparison: ``READY <time>`` once
the page has connected, i.e. its label is rendered. Run by startup.py in its own venv.

    python nicegui_probe.py qt|gtk
"""

import os
import socket
import sys
import time

os.environ.setdefault("QT_API", "pyside6")
from nicegui import app, ui  # noqa: E402


def ready() -> None:
    print(f"READY {time.time():.4f}", flush=True)
    app.shutdown()


@ui.page("/")
def index() -> None:
    ui.label("hello")


app.on_connect(ready)
app.native.start_args["gui"] = sys.argv[1]
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
ui.run(native=True, reload=False, port=port, show=False)
