"""Try to send a real window off the app; report where it is afterwards.

Run as ``python window_navigation_harness.py APP_DIR ENGINE``: launches the app the way
``pyshell run`` does; the app's own Python injects a ``<meta http-equiv=refresh>`` to
another origin. Once the app is ready (and a few seconds more), prints one JSON line with
the window's address, then closes the window.
"""

from __future__ import annotations

import json
import sys
import time

from window_harness import wait_until_ready

from pyshell import launcher


def drive(window) -> None:
    findings: dict[str, object] = {}
    try:
        findings["state"] = wait_until_ready(window)
        time.sleep(4)  # the refresh fires after 1 s; leave it time to land, if it could
        findings["url"] = window.get_current_url()
        findings["out"] = window.run_js("document.querySelector('#out')?.textContent ?? null")
    finally:
        print("FINDINGS " + json.dumps(findings), flush=True)
        window.destroy()


if __name__ == "__main__":
    app_dir, engine = sys.argv[1:3]
    sys.exit(launcher.run(app_dir, gui=engine, on_started=drive))
