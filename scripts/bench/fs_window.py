"""One fs.py run in a real window: prints ``RESULT <json>`` once the workload has finished."""

from __future__ import annotations

import sys
import time

from pyshell import config, engines
from pyshell.testing import app_server
from pyshell.window import SignalStop, open_window


def main() -> int:
    app_dir, engine = sys.argv[1:3]
    app = config.load(app_dir)
    stop = SignalStop()
    with app_server(app) as server:

        def wait(window) -> None:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                text = window.run_js("document.getElementById('out')?.textContent || ''")
                if text:
                    print("RESULT " + text, flush=True)
                    break
                if window.run_js("document.documentElement.dataset.pyshell") == "error":
                    print("ERROR " + window.run_js(
                        "document.getElementById('pyshell-error')?.textContent"), flush=True)
                    break
                time.sleep(0.5)
            window.destroy()

        open_window(server.launch_url(), app.window, engines.choose(engine), stop, on_started=wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
