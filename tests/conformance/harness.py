"""Host side of the conformance suite: build the app, drive Chromium, compare, report.

One page load runs every module (``runner.py`` in the app's Pyodide) and streams one JSON
line per test into the page. The host polls the count; a test that makes no progress for
``STALL_S`` is recorded as hung, and a module still running after ``MODULE_S`` is given up
(its remaining tests count as not run); then the page is loaded again to go on without it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit import REPO
from kit.apps import grant_toml, write_app

SCRIPT = REPO / "scripts" / "cpython_tests.py"
RUNNER = Path(__file__).with_name("runner.py")
MOUNT = "/data"
BOOT_S = 180      # page load to the first record
STALL_S = 90      # no new record for this long: the current test hangs
MODULE_S = 900    # one module in one page load (test_os over XHR: ~250 s here)
MAX_BOOTS = 12
FAILING = ("fail", "error", "hang")

# test_os: its file, folder, stat, scandir, walk, rename, utime and makedirs classes (renames
# are FileTests'); test_pathlib: the classes that touch local paths.
OS_CLASSES = [
    "MiscTests", "FileTests", "StatAttributeTests", "UtimeTests", "WalkTests", "FwalkTests",
    "BytesWalkTests", "BytesFwalkTests", "MakedirTests", "RemoveDirsTests", "ChownFileTests",
    "LinkTests", "ReadlinkTests", "NonLocalSymlinkTests", "Pep383Tests", "OSErrorTests",
    "PathTConverterTests", "ExtendedAttributeTests", "TestDirEntry", "TestScandir",
]
MODULES: list[tuple[str, list[str] | None]] = [
    ("test.test_fileio", None),
    ("test.test_glob", None),
    ("test.test_tempfile", None),
    ("test.test_shutil", None),
    # PosixPathTest is PathTest with PosixPath (what Path is here); PathTest and
    # PathSubclassTest would run the same file operations twice more.
    ("test.test_pathlib.test_pathlib", ["PosixPathTest", "PathWalkTest"]),
    ("test.test_pathlib.test_read", ["LocalPathReadTest"]),
    ("test.test_pathlib.test_write", ["LocalPathWriteTest"]),
    ("test.test_pathlib.test_copy",
     ["LocalToLocalPathCopyTest", "ZipToLocalPathCopyTest", "LocalToZipPathCopyTest"]),
    ("test.test_os", OS_CLASSES),
]
# Differences by design, listed in the report but not failures:
# - symlinks (and hard links) are refused inside grants, so tests that need them skip;
LINK_SKIP = re.compile(r"symlink|symbolic link|hard ?link|os\.link|readlink|\blink\b", re.I)
# - chmod never sets setuid/setgid/sticky on the host (fileservice.PERMISSION_BITS; POSIX
#   lets chmod clear S_ISGID silently), so test_os skips its S_ISGID test;
DESIGN_SKIPS = {"No support for S_ISGID dir mode."}
# - a test that uses its set-up's symlink without asking for symlinks (CPython's own test
#   assumes them): the link is simply not there. Test method -> what its failure must show.
LINK_FAILURES = {"test_chmod_follow_symlinks_true": "linkA"}


def cpython_tests() -> Path:
    """The cached Lib/test folder, fetched by scripts/cpython_tests.py when missing."""
    spec = importlib.util.spec_from_file_location("cpython_tests", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    found = script.cached()
    if found is None:
        proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
        found = script.cached()
        if found is None:
            raise RuntimeError(f"scripts/cpython_tests.py failed:\n{proc.stdout}{proc.stderr}")
    return found / "test"


def modules(lib: Path) -> list[tuple[str, list[str] | None]]:
    """MODULES as they exist in this version (test_os may be a package)."""
    out = []
    for name, classes in MODULES:
        rel = Path(*name.split(".")[1:])
        package = lib / rel
        if (lib / rel.with_suffix(".py")).is_file():
            out.append((name, classes))
        elif (package / "__init__.py").is_file():
            out += [(f"{name}.{p.stem}", classes) for p in sorted(package.glob("test_*.py"))]
        else:
            out.append((name, classes))  # reported as an import error
    return out


@dataclass
class ConfigRun:
    name: str
    transport: str | None = None
    wall_s: float = 0.0             # page loads to the last record, boots included
    load: list[float] = field(default_factory=list)  # 1-min load average before and after
    modules_s: float = 0.0          # the runner's own time in the test modules
    boots: int = 0
    tests: dict[str, dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # harness-level: crashes, hangs, notes

    def counts(self) -> dict[str, int]:
        counted = Counter(rec["outcome"] for rec in self.tests.values())
        return {"ran": len(self.tests), **{k: counted.get(k, 0) for k in
                ("pass", "fail", "error", "skip", "hang", "xfail", "xpass")}}

    def to_json(self) -> dict:
        return {"name": self.name, "transport": self.transport, "load": self.load,
                "wall_s": round(self.wall_s, 1),
                "modules_s": round(self.modules_s, 1), "boots": self.boots,
                "counts": self.counts(), "problems": self.problems, "modules": self.modules,
                "tests": self.tests}


def build_app(root: Path, lib: Path, grant: Path | None) -> Path:
    extra = 'packages = ["app", "cpylib"]\n'
    if grant is not None:
        grant.mkdir(parents=True, exist_ok=True)
        extra += grant_toml(grant, MOUNT, "rw")
    app = write_app(root, "from .runner import main  # noqa: F401\n", extra,
                    name="conformance", ui="<html><head></head><body><pre id=out></pre>"
                    '<pre id=log data-n="0" style="display:none"></pre></body></html>')
    shutil.copy(RUNNER, app / "app" / "runner.py")
    shutil.copytree(lib, app / "cpylib" / "test",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return app


def run_config(browser: Any, tmp: Path, lib: Path, name: str, *, grant: bool,
               fast_path: bool = True, omit: frozenset[str] = frozenset()) -> ConfigRun:
    """Every module in one page load (more when something hangs), in one configuration;
    the test ids in ``omit`` are left out."""
    from pyshell.testing import make_folders, start_server

    granted = tmp / "granted" if grant else None
    app = build_app(tmp / "app", lib, granted)
    root = f"{MOUNT}/run" if grant else "/tmp/conformance"
    server = start_server(app, make_folders(tmp / "folders"), cold=True)
    server.fs_fast_path = fast_path
    run = ConfigRun(name, load=[round(os.getloadavg()[0], 2)])
    todo = modules(lib)
    skip: set[str] = set(omit)
    try:
        while todo and run.boots < MAX_BOOTS:
            run.boots += 1
            plan = {"modules": todo, "root": root, "lib": "cpylib", "boot": run.boots,
                    "skip": sorted(skip | set(run.tests))}
            (app / "app" / "plan.json").write_text(json.dumps(plan))
            outcome, cur, records, elapsed = load_once(browser, server)
            run.wall_s += elapsed
            if not any(rec["t"] == "start" for rec in records):
                run.problems += [f"page load {run.boots}: the runner never started ({outcome})"]
                run.problems += [rec["text"] for rec in records if rec["t"] == "crash"]
                break  # the app or the page is broken, not one test: no point going on
            for rec in records:
                if rec["t"] == "start":
                    run.transport = rec["transport"]
                elif rec["t"] == "test":
                    run.tests[rec["id"]] = rec
                elif rec["t"] == "module":
                    run.modules[rec["module"]] = rec
                    if rec.get("error"):
                        run.problems.append(f"{rec['module']}: import failed: "
                                            f"{rec['error'].splitlines()[-1]}")
                    run.problems += [f"{rec['module']}: {n}" for n in rec.get("notes", [])]
                elif rec["t"] == "crash":
                    run.problems.append(f"the app stopped with an error:\n{rec['text']}")
            todo = [(m, c) for m, c in todo if m not in run.modules]
            if outcome == "done" or not todo:
                break
            # Something hung or crashed: record it, leave it out, load the page again.
            module = todo[0][0]
            what, _, ident = cur.partition(":") if cur.startswith(
                ("import:", "class:", "cleanup:", "leave:")) else ("test", "", cur)
            run.problems.append(f"{outcome} in {what} {ident or '(before the first record)'}")
            if what == "import" or not ident or outcome == "timeout":
                reason = ("hung at import" if what == "import" else
                          f"still running after {MODULE_S} s" if outcome == "timeout"
                          else "no progress")
                run.modules[module] = {"t": "module", "module": module, "secs": None,
                                       "error": f"{outcome}: {reason}", "notes": []}
                todo = todo[1:]
                continue
            skip.add(ident)
            if what in ("test", "cleanup"):
                run.tests[ident] = {"t": "test", "module": module, "id": ident,
                                    "outcome": "hang", "reason": "", "notes": [],
                                    "tb": [f"{outcome}: no result within {STALL_S} s"
                                           + (" (in the harness's cleanup)"
                                              if what == "cleanup" else "")]}
            elif what == "class":
                fixture = f"setUpClass ({ident})"
                run.tests[fixture] = {"t": "test", "module": module, "id": fixture,
                                      "outcome": "hang", "reason": "", "notes": [],
                                      "tb": [f"{outcome}: its class set-up made no progress"],
                                      "fixture": True}
        if todo:
            run.problems.append(f"gave up after {run.boots} page loads; not run: "
                                f"{', '.join(m for m, _ in todo)}")
    finally:
        server.stop()
    run.modules_s = sum((m.get("secs") or 0) for m in run.modules.values())
    run.load.append(round(os.getloadavg()[0], 2))
    return run


def load_once(browser: Any, server: Any) -> tuple[str, str, list[dict], float]:
    """One page load: ("done" | "hang" | "timeout" | "crash", what ran last, records, s)."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context()
    t0 = time.monotonic()
    try:
        page = context.new_page()
        launch = getattr(server, "launch_url", None)  # newer servers: a one-time launch URL
        page.goto(launch() if launch else server.url)
        log = page.locator("#log")
        seen, last = 0, time.monotonic()
        module, module_start = None, last
        outcome = "hang"
        while True:
            page.wait_for_timeout(500)
            try:
                state = page.locator("html").get_attribute("data-pyshell", timeout=5000)
                count = int(log.get_attribute("data-n", timeout=5000) or 0)
                running = log.get_attribute("data-module", timeout=5000)
            except PlaywrightError:
                state, count, running = None, seen, module  # not our page (yet)
            now = time.monotonic()
            if count != seen:
                seen, last = count, now
            if running != module:
                module, module_start = running, now
            elif module and now - module_start > MODULE_S:
                outcome = "timeout"
                break
            if state == "ready":
                outcome = "done"
                break
            if state == "error":
                outcome = "crash"
                break
            if now - last > (BOOT_S if seen == 0 else STALL_S):
                break
        elapsed = time.monotonic() - t0
        try:
            cur = log.get_attribute("data-cur", timeout=5000) or ""
            text = log.text_content(timeout=5000) or ""
        except PlaywrightError as exc:
            cur, text = "", ""
            outcome = "crash"
            page_text = ""
            try:
                page_text = page.locator("body").inner_text(timeout=5000)[-2000:]
            except PlaywrightError:
                pass
            return outcome, cur, [{"t": "crash", "text": f"no results in the page ({exc}); "
                                   f"it shows:\n{page_text}"}], time.monotonic() - t0
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        if outcome == "crash":
            panel = page.locator("#pyshell-error pre")
            text = panel.inner_text() if panel.count() else "(no error text)"
            notes = "\n".join(t for _, t in server.logs[-20:])
            records.append({"t": "crash", "text": text[-3000:], "log": notes[-3000:]})
            if any(r["t"] == "done" for r in records):
                outcome = "done"
        return outcome, cur, records, elapsed
    finally:
        context.close()


# -- comparison ---------------------------------------------------------------------------

def last_line(rec: dict) -> str:
    for tb in reversed(rec.get("tb") or []):
        lines = [ln for ln in tb.splitlines() if ln.strip()]
        if lines:
            return lines[-1].strip()
    return rec.get("reason") or ""


def tail(rec: dict, n: int = 6) -> str:
    tb = (rec.get("tb") or [""])[0]
    return "\n".join(tb.splitlines()[-n:])


def cause_key(rec: dict) -> str:
    """The traceback's last line with paths and numbers blurred: groups similar failures."""
    line = last_line(rec)
    line = re.sub(r"'[^']*(/|@test)[^']*'", "'<path>'", line)
    line = re.sub(r"\b\d+\b", "N", line)
    return line[:200]


def compare(memfs: ConfigRun, grant: ConfigRun, omitted: frozenset[str] = frozenset()) -> dict:
    """What differs on the grant: failures, skips and tests that did not run there (other
    than those ``omitted`` on purpose)."""
    only_fail, both_fail, only_skip, missing, grant_only_pass = [], [], [], [], []
    by_design: list[dict] = []
    for tid, rec in grant.tests.items():
        base = memfs.tests.get(tid)
        base_outcome = base["outcome"] if base else None
        if rec["outcome"] in FAILING:
            if base_outcome in FAILING:
                both_fail.append(tid)
            elif LINK_FAILURES.get(tid.rpartition(".")[2], "\0") in last_line(rec):
                by_design.append({"id": tid, "outcome": rec["outcome"], "last": last_line(rec)})
            else:
                only_fail.append({"id": tid, "outcome": rec["outcome"], "memfs": base_outcome,
                                  "last": last_line(rec), "cause": cause_key(rec),
                                  "tail": tail(rec), "notes": rec.get("notes", [])})
        elif rec["outcome"] == "skip" and base_outcome not in (None, "skip"):
            only_skip.append({"id": tid, "reason": rec["reason"], "memfs": base_outcome,
                              "by_design": bool(LINK_SKIP.search(rec["reason"]))
                              or rec["reason"] in DESIGN_SKIPS})
        elif rec["outcome"] == "pass" and base_outcome in FAILING:
            grant_only_pass.append(tid)
    for tid, base in memfs.tests.items():
        if tid not in grant.tests and tid not in omitted:
            missing.append({"id": tid, "memfs": base["outcome"]})
    cleanup = [{"id": tid, "notes": rec["notes"]} for tid, rec in grant.tests.items()
               if rec.get("notes") and not memfs.tests.get(tid, {}).get("notes")]
    by_cause: dict[str, list[str]] = defaultdict(list)
    for item in only_fail:
        by_cause[item["cause"]].append(item["id"])
    skips_by_reason: dict[str, list[str]] = defaultdict(list)
    for item in only_skip:
        skips_by_reason[item["reason"]].append(item["id"])
    return {"grant_only_failures": only_fail, "failing_in_both": sorted(both_fail),
            "grant_only_failures_by_design": by_design,
            "grant_only_skips": only_skip, "grant_only_skips_by_reason": dict(skips_by_reason),
            "not_run_on_grant": missing, "passing_only_on_grant": sorted(grant_only_pass),
            "grant_only_cleanup_notes": cleanup, "failures_by_cause": dict(by_cause)}


def timing(memfs: ConfigRun, grant: ConfigRun) -> dict:
    ratio = grant.modules_s / memfs.modules_s if memfs.modules_s else None
    return {"memfs_modules_s": round(memfs.modules_s, 1),
            "grant_modules_s": round(grant.modules_s, 1),
            "ratio": round(ratio, 2) if ratio else None, "bar": "<= 3x MEMFS",
            "memfs_wall_s": round(memfs.wall_s, 1), "grant_wall_s": round(grant.wall_s, 1)}


def per_module_secs(run: ConfigRun) -> dict[str, float | None]:
    return {name: rec.get("secs") for name, rec in run.modules.items()}


def write_report(folder: Path, memfs: ConfigRun, grants: dict[str, tuple[ConfigRun, dict]],
                 transport: str) -> Path:
    """test-artifacts/conformance-report-TRANSPORT.json (+ .md: the report of the test
    module of that transport) and each run's raw records."""
    folder.mkdir(exist_ok=True)
    for run in (memfs, *(g for g, _ in grants.values())):
        (folder / f"conformance-{run.name}.json").write_text(
            json.dumps(run.to_json(), indent=1))
    report = {"configs": {memfs.name: {"counts": memfs.counts(), "wall_s": round(memfs.wall_s, 1),
                                       "load": memfs.load,
                                       "modules_s": round(memfs.modules_s, 1),
                                       "module_secs": per_module_secs(memfs),
                                       "problems": memfs.problems}},
              "grants": {}}
    for name, (run, diff) in grants.items():
        report["configs"][name] = {"counts": run.counts(), "wall_s": round(run.wall_s, 1),
                                   "load": run.load,
                                   "modules_s": round(run.modules_s, 1),
                                   "module_secs": per_module_secs(run),
                                   "transport": run.transport, "problems": run.problems}
        report["grants"][name] = {"timing": timing(memfs, run), **diff}
    path = folder / f"conformance-report-{transport}.json"
    path.write_text(json.dumps(report, indent=1))
    path.with_suffix(".md").write_text(markdown(report))
    return path


def markdown(report: dict) -> str:
    out = ["# CPython file-semantics conformance: grants vs MEMFS", ""]
    out.append("| config | ran | pass | fail | error | skip | hang | page wall s | modules s "
               "| load avg |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for name, cfg in report["configs"].items():
        c = cfg["counts"]
        out.append(f"| {name} | {c['ran']} | {c['pass']} | {c['fail']} | {c['error']} | "
                   f"{c['skip']} | {c['hang']} | {cfg['wall_s']} | {cfg['modules_s']} "
                   f"| {cfg['load']} |")
    for name, cfg in report["configs"].items():
        out += [f"- {name}: {p}" for p in cfg["problems"]]
    for name, g in report["grants"].items():
        t = g["timing"]
        out += ["", f"## {name}", "",
                f"Modules' wall time: {t['grant_modules_s']} s vs MEMFS {t['memfs_modules_s']} s "
                f"= {t['ratio']}x (bar: <= 3x).", "",
                f"### Grant-only failures and errors ({len(g['grant_only_failures'])})", ""]
        for cause, ids in sorted(g["failures_by_cause"].items(), key=lambda kv: -len(kv[1])):
            out.append(f"- `{cause}` ({len(ids)})")
            out += [f"  - {tid}" for tid in ids]
        if g["grant_only_failures_by_design"]:
            out += ["", "Failing only on the grant by design (no symlinks there):", ""]
            out += [f"- {f['id']}: `{f['last']}`" for f in g["grant_only_failures_by_design"]]
        out += ["", f"### Grant-only skips ({len(g['grant_only_skips'])})", ""]
        design = {s["reason"]: s["by_design"] for s in g["grant_only_skips"]}
        for reason, ids in g["grant_only_skips_by_reason"].items():
            flag = "by design" if design[reason] else "NOT by design"
            out.append(f"- {reason!r} ({len(ids)}, {flag}): {', '.join(ids)}")
        if g["not_run_on_grant"]:
            out += ["", f"### Not run on the grant ({len(g['not_run_on_grant'])})", ""]
            out += [f"- {m['id']} (MEMFS: {m['memfs']})" for m in g["not_run_on_grant"]]
        if g["grant_only_cleanup_notes"]:
            out += ["", "### Harness cleanup problems only on the grant", ""]
            out += [f"- {c['id']}: {'; '.join(c['notes'])}" for c in g["grant_only_cleanup_notes"]]
    return "\n".join(out) + "\n"
