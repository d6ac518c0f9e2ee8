"""One timed window launch for the benchmarks; prints what it measured, one line each.

    READY <unix time>    when the condition first held (polled every 20 ms via pywebview)
    CONTENT <unix time>  app pages: when the app's task list was first on the page (from
                         the last run's picture, with resume paint, or from main())
    FCP <ms>             first contentful paint after navigation start (Paint Timing API)
    BOOT <cold|snapshot> how pyshell's worker started Python (app pages only)
    PHASES <json>        pyshell's boot marks (``pyshell:NAME`` -> ms after navigation)
    RSS <kB>             resident memory of this process and all its children, 1 s later
    CLICKS <json>        with --clicks N: click -> Python handler -> DOM updated, in ms

Uses pyshell's own server and window code; only the page differs between modes
(``bare.html``: raw-Pyodide baseline; ``static.html``: no Python at all; ``""``: the app).
Given an installed app's bundle folder (it has ``runtime/``), it serves that bundle's own
runtime and wheels, as the installed launcher does; run it with that app's Python path.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pyshell import config, engines, permissions, runtime
from pyshell.server import AppServer
from pyshell.window import SignalStop, open_window

CONTENT = "document.querySelectorAll('#list .task').length > 0"
MARKS_JS = ("JSON.stringify(Object.fromEntries(performance.getEntriesByType('mark')"
            ".map((m) => [m.name, Math.round(m.startTime)])))")
CLICK_LOOP = """
window.__clicks = null;
(async () => {
  const list = document.getElementById("list");
  const times = [];
  for (let i = 0; i < %d; i++) {
    const box = list.querySelector(".toggle");
    const done = new Promise((resolve) => {
      const watch = new MutationObserver(() => { watch.disconnect(); resolve(performance.now()); });
      watch.observe(list, { subtree: true, childList: true, attributes: true });
    });
    const t0 = performance.now();
    box.click();
    times.push((await done) - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  window.__clicks = JSON.stringify(times);
})();
"""


def tree_rss_kb(root: int) -> int:
    """VmRSS summed over ``root`` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)
    return total


def main() -> int:
    app_dir, engine, page, condition = sys.argv[1:5]
    clicks = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--clicks" else 0
    app = config.load(app_dir)
    stop = SignalStop()
    if (Path(app_dir) / "runtime").is_dir():  # an installed app's bundle: its own files
        from pyshell.installed import bundled_packages

        rt = runtime.Runtime(runtime.PYODIDE_VERSION, Path(app_dir) / "runtime")
        packages = bundled_packages(Path(app_dir))
    else:  # a source folder, as `pyshell run` (an installed app's lib has no deps.service)
        from pyshell.deps.service import prepare

        rt = runtime.ensure()
        packages = prepare(app, rt)
    log = lambda stream, text: print(text, file=sys.stderr)  # noqa: E731
    with AppServer(app, rt, permissions.grants(app), packages, log=log) as server:

        def poll(window) -> None:
            deadline = time.monotonic() + 180
            content = page != ""
            while time.monotonic() < deadline:
                if not content and window.run_js(f"({CONTENT}) ? 1 : 0") == 1:
                    content = True
                    print(f"CONTENT {time.time():.4f}", flush=True)
                if window.run_js(f"({condition}) ? 1 : 0") == 1:
                    if not content:
                        print(f"CONTENT {time.time():.4f}", flush=True)
                    print(f"READY {time.time():.4f}", flush=True)
                    break
                time.sleep(0.02)
            fcp = -1
            for _ in range(100):  # a page that is ready at once may not have painted yet
                fcp = window.run_js("(performance.getEntriesByName('first-contentful-paint')"
                                    "[0] || {startTime: -1}).startTime")
                if fcp is not None and fcp >= 0:
                    break
                time.sleep(0.02)
            print(f"FCP {fcp}", flush=True)
            boot = ""
            while page == "" and not boot and time.monotonic() < deadline:
                # READY may land a frame after the app's first DOM writes.
                boot = window.run_js("document.documentElement.dataset.pyshellBoot || ''")
                time.sleep(0.02)
            print(f"BOOT {boot}", flush=True)
            print(f"PHASES {window.run_js(MARKS_JS)}", flush=True)
            while boot == "cold" and time.monotonic() < deadline and not window.run_js(
                    "document.documentElement.dataset.pyshellSnapshot || ''"):
                time.sleep(0.1)  # the first launch stores its snapshot after showing the app
            time.sleep(1)
            print(f"RSS {tree_rss_kb(os.getpid())}", flush=True)
            if clicks:
                window.run_js(CLICK_LOOP % clicks)
                # run_js answers null as None or "" depending on the engine
                while not (times := window.run_js("window.__clicks || ''")):
                    time.sleep(0.2)
                print(f"CLICKS {times}", flush=True)
            window.destroy()

        open_window(server.launch_url('/' + page), app.window, engines.choose(engine), stop,
                    on_started=poll)
    return 0


if __name__ == "__main__":
    sys.exit(main())
