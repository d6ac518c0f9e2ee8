"""One timed window launch for startup.py: prints ``READY <unix time>`` when the condition holds.

Uses pyshell's own launcher, server and window code; only the page differs between modes
(``bare``: the raw-Pyodide baseline page; ``app``: the template through pyshell's loader).
"""

from __future__ import annotations

import sys
import time

from pyshell import config, engines, runtime
from pyshell.server import AppServer
from pyshell.window import SignalStop, open_window


def main() -> int:
    app_dir, engine, mode, condition = sys.argv[1:5]
    app = config.load(app_dir)
    stop = SignalStop()
    with AppServer(app, runtime.ensure(), log=lambda s, t: None) as server:
        url = server.url + ("bare.html" if mode == "bare" else "")

        def poll(window) -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if window.run_js(f"({condition}) ? 1 : 0") == 1:
                    print(f"READY {time.time():.4f}", flush=True)
                    break
                time.sleep(0.02)
            window.destroy()

        open_window(url, app.window, engines.choose(engine), stop, on_started=poll)
    return 0


if __name__ == "__main__":
    sys.exit(main())
