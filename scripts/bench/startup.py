"""Start-up benchmark, one run per engine: raw Pyodide vs pyshell cold and warm, paint, memory.

Per engine (headless Chromium; Qt and GTK windows under Xvfb), five launches of each:

(a) bare:   raw loadPyodide + runPython("1+1") in a bare page (the baseline);
(b) cold:   the template app, no start-up snapshot: launch -> first Python-rendered DOM;
(c) warm:   the same, restored from its snapshot;
(d) deps:   warm, with three locked packages (attrs, python-dateutil, markdown + deps);
(e) static: a window showing a static page (no Python), for memory;
(f) NiceGUI native mode (``ui.label``; ``ui.run(native=True)``), same engine, if it installs;
(g) GTK only: the template as installed from its .tar.gz (same tree as the .deb), warm;
(h) compiled: the template using pydantic (a wheel with compiled code, pydantic-core),
    cold and restored from its snapshot (taken before the compiled wheel is loaded).

Chromium: timed from navigation in a running browser. Windows: from starting a new Python
process (window_probe.py). Also: first contentful paint of (c), resident memory of the
whole process tree for (c) against (e), and where (c)'s time goes: the median of each
of pyshell's boot marks (``pyshell:NAME``, ms after navigation). Results go to
BENCHMARKS.md with the date.

    .venv/bin/python scripts/bench/startup.py [--runs 5] [--engines chromium,qt,gtk]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))  # kit: the tests' helpers

from kit import display  # noqa: E402

# Python rendered the app (with resume paint the tasks show from the first paint on, so
# their presence alone says nothing of Python).
APP_READY = ("document.documentElement.dataset.pyshell === 'ready' && "
             "document.querySelectorAll('#list .task').length > 0")
# The app is up (READY may land a frame after its first DOM writes) and, after a cold
# boot, the snapshot it made is stored: the next launch can use it.
SNAPSHOT_STORED = ("document.documentElement.dataset.pyshellBoot === 'snapshot' || "
                   "!!document.documentElement.dataset.pyshellSnapshot")
MARKS = ("() => Object.fromEntries(performance.getEntriesByType('mark')"
         ".map((m) => [m.name, Math.round(m.startTime)]))")
PHASES = ["loader", "worker", "loader-imported", "snapshot-fetched", "wasm-compiled",
          "wasm-instantiated", "python-started", "bundle", "entry"]
CONDITIONS = {"bare.html": "document.title === 'done'",
              "static.html": "document.title === 'static'", "": APP_READY}
DEPENDENCIES = ["attrs", "python-dateutil", "markdown"]
PYDANTIC_USE = """
from pydantic import BaseModel as _BaseModel


class _Entry(_BaseModel):
    title: str
    done: bool = False


_ENTRY = _Entry(title="validated", done="yes")
"""


def private_cache(root: Path) -> Path:
    """A cache of our own (snapshots start empty) that shares the fetched runtime."""
    from pyshell import runtime

    rt = runtime.ensure()
    (root / "pyodide").mkdir(parents=True)
    (root / "pyodide" / rt.version).symlink_to(rt.path)
    os.environ["PYSHELL_CACHE_DIR"] = str(root)
    return root


def make_apps(workdir: Path) -> dict[str, Path]:
    """The template (with the bare and static pages) and a copy that uses locked packages."""
    from pyshell import config, runtime, scaffold
    from pyshell.deps.service import lock

    app = scaffold.create("bench-tasks", target=workdir / "bench-tasks")
    shutil.copy(HERE / "bare_page.mjs", app / "ui" / "bare_page.mjs")
    (app / "ui" / "bare.html").write_text(
        '<!doctype html><html><head><title>bare</title>'
        '<script type="module" src="bare_page.mjs"></script></head><body>bare</body></html>')
    (app / "ui" / "static.html").write_text(
        "<!doctype html><html><head><title>static</title></head><body><h1>static</h1>"
        "</body></html>")
    deps = workdir / "bench-deps"
    shutil.copytree(app, deps)
    toml = (deps / "pyproject.toml").read_text()
    # Its own name: snapshots are kept one per app name and engine.
    (deps / "pyproject.toml").write_text(toml.replace(
        "dependencies = []", f"dependencies = {json.dumps(DEPENDENCIES)}", 1).replace(
        'name = "bench-tasks"', 'name = "bench-deps"', 1))
    main = deps / "app" / "main.py"
    main.write_text(main.read_text() + "\nimport attrs, dateutil.parser, markdown  # noqa\n")
    lock(config.load(deps), runtime.ensure())
    compiled = workdir / "bench-pydantic"
    shutil.copytree(app, compiled)
    (compiled / "pyproject.toml").write_text(toml.replace(
        "dependencies = []", 'dependencies = ["pydantic>=2"]', 1).replace(
        'name = "bench-tasks"', 'name = "bench-pydantic"', 1))
    main = compiled / "app" / "main.py"
    main.write_text(main.read_text() + PYDANTIC_USE)
    lock(config.load(compiled), runtime.ensure())
    return {"app": app, "deps": deps, "compiled": compiled}


def clear_snapshots(name: str) -> None:
    shutil.rmtree(Path(os.environ["PYSHELL_CACHE_DIR"]) / "snapshots" / name,
                  ignore_errors=True)


# (mode, app key, page, snapshot handling)
PLAN = [("bare", "app", "bare.html", None), ("static", "app", "static.html", None),
        ("cold", "app", "", "clear"), ("warm", "app", "", "keep"),
        ("deps", "deps", "", "keep"), ("compiled-cold", "compiled", "", "clear"),
        ("compiled", "compiled", "", "keep")]


def chromium_runs(apps: dict[str, Path], runs: int) -> dict[str, list]:
    from playwright.sync_api import sync_playwright

    from pyshell import config
    from pyshell.testing import CHROMIUM_ARGS, app_server, chromium_path

    out: dict[str, list] = {mode: [] for mode, *_ in PLAN}
    out.update(fcp=[], fcp_static=[], phases=[])
    servers = {k: app_server(config.load(a), log=lambda s, t: None) for k, a in apps.items()}
    for server in servers.values():
        server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(),
                                         args=list(CHROMIUM_ARGS))
            for _ in range(runs):
                for mode, key, page_name, snap in PLAN:
                    server = servers[key]
                    if snap == "clear":
                        clear_snapshots(server.app.name)
                    page = browser.new_context().new_page()
                    t0 = time.perf_counter()
                    page.goto(server.launch_url('/' + page_name))
                    _poll(page, page_name)
                    out[mode].append(time.perf_counter() - t0)
                    if mode == "warm":
                        out["fcp"].append(_fcp(page))
                        out["phases"].append(page.evaluate(MARKS))
                    if mode == "static":
                        out["fcp_static"].append(_fcp(page))
                    if page_name == "":
                        _poll(page, SNAPSHOT_STORED)
                    page.context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return out


def _poll(page, page_name: str) -> None:
    """Our CSP forbids eval, so poll with evaluate of a fixed function instead."""
    condition = CONDITIONS.get(page_name, page_name)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if page.evaluate(f"() => {condition}"):
            return
        time.sleep(0.02)
    raise TimeoutError(page_name)


def _fcp(page) -> float:
    """First contentful paint; a page that is ready at once may not have painted yet."""
    for _ in range(100):
        if (fcp := _fcp_now(page)) >= 0:
            return fcp
        time.sleep(0.02)
    return -1


def _fcp_now(page) -> float:
    return page.evaluate("() => (performance.getEntriesByName('first-contentful-paint')[0]"
                         " || {startTime: -1}).startTime")


def window_runs(apps: dict[str, Path], engine: str, runs: int, display: str) -> dict[str, list]:
    out: dict[str, list] = {mode: [] for mode, *_ in PLAN}
    out.update(fcp=[], fcp_static=[], rss_app=[], rss_static=[], boots=[], phases=[],
               content=[])
    env = dict(os.environ, DISPLAY=display)
    for _ in range(runs):
        for mode, key, page_name, snap in PLAN:
            app = apps[key]
            if snap == "clear":
                clear_snapshots(app.name)
            result = probe(app, engine, page_name, env)
            out[mode].append(result["ready"])
            if mode == "warm":
                out["fcp"].append(result["fcp"])
                out["content"].append(result["content"])
                out["rss_app"].append(result["rss"])
                out["boots"].append(result["boot"])
                out["phases"].append(result["phases"])
            if mode == "static":
                out["rss_static"].append(result["rss"])
                out["fcp_static"].append(result["fcp"])
    return out


def probe(app: Path, engine: str, page: str, env: dict[str, str]) -> dict:
    t0 = time.time()
    proc = subprocess.run([sys.executable, str(HERE / "window_probe.py"), str(app), engine, page,
                           CONDITIONS[page]], env=env, capture_output=True, text=True,
                          timeout=400)
    lines = dict(ln.split(" ", 1) for ln in proc.stdout.splitlines() if " " in ln)
    if proc.returncode != 0 or "READY" not in lines:
        raise SystemExit(f"{engine}/{page or 'app'} failed: {proc.stderr[-2000:]}")
    return {"ready": float(lines["READY"]) - t0, "fcp": float(lines.get("FCP", -1)),
            "content": float(lines.get("CONTENT", lines["READY"])) - t0,
            "boot": lines.get("BOOT", ""), "rss": int(lines.get("RSS", 0)),
            "phases": json.loads(lines.get("PHASES", "{}"))}


def installed_runs(app: Path, runs: int, display: str, workdir: Path) -> list[float]:
    """The template as users install it: the .tar.gz's tree (the .deb's /usr/lib/NAME is
    the same), run by the system's python3 with only the app's vendored lib on its path."""
    from pyshell.build.service import build

    (tarball,) = [Path(a.path) for a in build(app, ["tarball"], out=open(os.devnull, "w"))]
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(workdir)], check=True)
    (folder,) = [p for p in workdir.iterdir() if p.is_dir() and p.name.endswith("-linux")]
    env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(folder / "lib"))
    times = []
    for i in range(runs + 1):  # the first launch makes the installed app's snapshot
        t0 = time.time()
        proc = subprocess.run(["/usr/bin/python3", str(HERE / "window_probe.py"),
                               str(folder / "app"), "gtk", "", APP_READY], env=env,
                              capture_output=True, text=True, timeout=400)
        ready = [ln for ln in proc.stdout.splitlines() if ln.startswith("READY ")]
        if not ready:
            raise SystemExit(f"installed app failed: {proc.stderr[-2000:]}")
        if i:
            times.append(float(ready[0].split()[1]) - t0)
    return times


def nicegui_runs(engine: str, runs: int, display: str) -> list[float]:
    """NiceGUI's native mode on the same engine, or [] when it cannot be installed here."""
    venv = Path(os.environ["PYSHELL_CACHE_DIR"]).parent / "nicegui-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
        own = next(venv.glob("lib/python3*/site-packages"))
        (own / "pyshell-venv.pth").write_text(f"{site}\n/usr/lib/python3/dist-packages\n")
        if subprocess.run([str(py), "-m", "pip", "install", "-q", "nicegui"],
                          capture_output=True).returncode != 0:
            return []
    from pyshell.engines import get as engine_named
    from pyshell.window import prepare_environment

    times = []
    env = dict(os.environ, DISPLAY=display)
    env.pop("PYSHELL_CACHE_DIR", None)
    # the same engine settings our windows get (root: no sandbox)
    prepare_environment(engine_named(engine), env)
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run([str(py), str(HERE / "nicegui_probe.py"), engine], env=env,
                              capture_output=True, text=True, timeout=300)
        ready = [ln for ln in proc.stdout.splitlines() if ln.startswith("READY ")]
        if not ready:
            print(f"nicegui/{engine} failed: {proc.stderr[-1500:]}", file=sys.stderr)
            return []
        times.append(float(ready[0].split()[1]) - t0)
    return times


def start_xvfb() -> tuple[contextlib.ExitStack, str]:
    """A private X display (the tests' own Xvfb) and its DISPLAY; ``.close()`` the first to
    stop it."""
    stack = contextlib.ExitStack()
    return stack, stack.enter_context(display.xvfb())


def s(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    return f"{statistics.median(samples):.2f} s ({min(samples):.2f}–{max(samples):.2f})"


def ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):.0f} ms" if samples else "n/a"


def mb(samples: list[int]) -> str:
    return f"{statistics.median(samples) / 1024:.0f} MB" if samples else "n/a"


def breakdown(results: dict[str, dict[str, list]]) -> list[str]:
    """A row per engine: the median time of each boot mark in the warm launches."""
    rows = ["| engine | " + " | ".join(PHASES) + " |", "|---" * (len(PHASES) + 1) + "|"]
    for engine, r in results.items():
        cells = []
        for name in PHASES:
            at = [m[f"pyshell:{name}"] for m in r.get("phases", []) if f"pyshell:{name}" in m]
            cells.append(f"{statistics.median(at):.0f}" if at else "–")
        rows.append(f"| {engine} | " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", default="chromium,qt,gtk")
    parser.add_argument("--no-nicegui", action="store_true")
    parser.add_argument("--only-nicegui", action="store_true", help="just (f), per engine")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        private_cache(Path(tmp) / "cache")
        apps = make_apps(Path(tmp))
        xvfb, display = start_xvfb()
        try:
            for engine in args.engines.split(",") if args.only_nicegui else ():
                print(f"NICEGUI {engine} {json.dumps(nicegui_runs(engine, args.runs, display))}")
            for engine in args.engines.split(",") if not args.only_nicegui else ():
                print(f"bench: {engine} x{args.runs}", file=sys.stderr)
                if engine == "chromium":
                    results[engine] = chromium_runs(apps, args.runs)
                    print(f"RESULT {engine} {json.dumps(results[engine])}", file=sys.stderr)
                    continue
                results[engine] = window_runs(apps, engine, args.runs, display)
                print(f"RESULT {engine} {json.dumps(results[engine])}", file=sys.stderr)
                if engine == "gtk":
                    results[engine]["installed"] = installed_runs(
                        apps["app"], args.runs, display, Path(tmp) / "installed")
                if not args.no_nicegui:
                    results[engine]["nicegui"] = nicegui_runs(engine, args.runs, display)
        finally:
            xvfb.close()
    if args.only_nicegui:
        return
    rows = []
    for engine, r in results.items():
        ratio = statistics.median(r["warm"]) / statistics.median(r["bare"])
        rows.append(f"| {engine} | {s(r['bare'])} | {s(r['cold'])} | {s(r['warm'])} | "
                    f"{ratio:.2f}x | {s(r['deps'])} | {s(r.get('installed', []))} | "
                    f"{s(r.get('nicegui', []))} | "
                    f"{ms(r['fcp'])} / {ms(r['fcp_static'])} | {mb(r.get('rss_app', []))} / "
                    f"{mb(r.get('rss_static', []))} |")
    sys.path.insert(0, str(HERE))
    from report import publish

    publish("Where a warm start's time goes: pyshell's boot marks, ms after navigation "
            "(median)", breakdown(results), write=not args.no_write)
    publish(f"Start-up, {args.runs} launches each, median (min–max)", [
        "| engine | (a) raw loadPyodide + 1+1 | (b) template cold | (c) template warm "
        "(snapshot) | c/a | (d) warm + 3 packages | installed tarball/.deb tree, warm "
        "| NiceGUI native | first paint (c) / static page | RSS (c) / static window |",
        "|---|---|---|---|---|---|---|---|---|---|", *rows], write=not args.no_write)
    publish(f"Start-up of an app with a compiled wheel (pydantic), {args.runs} launches each, "
            "median (min–max)", [
        "| engine | template warm (c) | pydantic app cold | pydantic app restored (h) | h − c |",
        "|---|---|---|---|---|",
        *(f"| {e} | {s(r['warm'])} | {s(r['compiled-cold'])} | {s(r['compiled'])} | "
          f"{(statistics.median(r['compiled']) - statistics.median(r['warm'])) * 1000:+.0f} ms |"
          for e, r in results.items())], write=not args.no_write)
    windows = [(e, r) for e, r in results.items() if r.get("content")]
    publish("Resume paint: the app's own content on screen against a static page's window "
            "(warm launches, median (min–max))", [
        "| engine | static page window (e) | app content visible (c) | c − e | "
        "app interactive (c) |", "|---|---|---|---|---|",
        *(f"| {e} | {s(r['static'])} | {s(r['content'])} | "
          f"{(statistics.median(r['content']) - statistics.median(r['static'])) * 1000:+.0f} ms"
          f" | {s(r['warm'])} |" for e, r in windows)], write=not args.no_write)
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
