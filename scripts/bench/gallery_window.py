"""One gallery.py launch in a real window: prints ``RESULT <json>``, what the page's monitor
measured (by the time it was done, or TIMEOUT seconds) plus ``rss_kb``, the resident memory
of this process and all its children.

    python gallery_window.py APP_DIR ENGINE TIMEOUT
"""

from __future__ import annotations

import json
import os
import sys
import time

from window_probe import tree_rss_kb

from pyshell import config, engines
from pyshell.testing import app_server
from pyshell.window import SignalStop, open_window


def main() -> int:
    app_dir, engine, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    app = config.load(app_dir)
    stop = SignalStop()
    with app_server(app, log=lambda stream, text: None) as server:

        def wait(window) -> None:  # noqa: ANN001 (pywebview's Window)
            deadline = time.monotonic() + timeout
            found: dict[str, object] = {}
            while time.monotonic() < deadline and not found.get("done"):
                time.sleep(0.5)
                found = json.loads(window.run_js("JSON.stringify(window.__bench || {})") or "{}")
            time.sleep(1)
            print("RESULT " + json.dumps({**found, "rss_kb": tree_rss_kb(os.getpid())}),
                  flush=True)
            window.destroy()

        open_window(server.launch_url(), app.window, engines.choose(engine), stop,
                    on_started=wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
