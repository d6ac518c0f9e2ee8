"""Runs CPython's own Lib/test modules inside the app's Pyodide (shipped as app/runner.py).

The host writes ``plan.json`` beside this file before each page load: which modules (and
test classes) to run, under which root folder (Pyodide's /tmp or a grant's mount), and which
test ids to leave out (already recorded, or hung in an earlier load). Every test class runs
with cwd and TMPDIR in a fresh empty folder of its module; after each test whatever it
added there is removed (and after each class everything), so one failure does not cascade. Each result goes to the page at once, one
JSON line appended to ``#log`` (``data-n`` counts them, ``data-cur`` names what runs now),
so the host sees progress and can tell which test hangs.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import unittest

from pyshell import dom

HERE = os.path.dirname(os.path.abspath(__file__))
APP_DIR = os.path.dirname(HERE)
TB_LINES = 40
TB_CHARS = 4000

_sent = 0


def emit(record: dict) -> None:
    global _sent
    _sent += 1
    log = dom.select("#log")
    log.append(json.dumps(record, ensure_ascii=True) + "\n")
    log.attr("data-n", str(_sent))
    dom.flush()


def current(what: str) -> None:
    dom.select("#log").attr("data-cur", what)
    dom.flush()


def trim(text: str) -> str:
    lines = text.rstrip("\n").splitlines()
    text = "\n".join(lines[-TB_LINES:])
    return text[-TB_CHARS:]


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_writable(path: str) -> None:
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def wipe(path: str) -> None:
    """Remove ``path`` whatever it is, making folders writable when a test locked them."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return

    def retry(func, failed, _exc):
        make_writable(os.path.dirname(failed))
        make_writable(failed)
        func(failed)

    make_writable(path)
    shutil.rmtree(path, onexc=retry)


def entries(folder: str) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


class Result(unittest.TestResult):
    """Records one test class's outcomes; cleans up after each test."""

    def __init__(self, module: str, cwd: str, tmp: str, boxed: bool) -> None:
        super().__init__()
        self.buffer = True  # test output stays out of the app's log unless it fails
        self.module, self.cwd, self.tmp, self.boxed = module, cwd, tmp, boxed
        self.rec: dict | None = None
        self.count = 0

    # -- per test ----------------------------------------------------------------------
    def startTest(self, test):
        super().startTest(test)
        self.rec = {"t": "test", "module": self.module, "id": test.id(), "outcome": None,
                    "reason": "", "tb": [], "notes": []}
        self.t0 = time.monotonic()
        self.before = (entries(self.cwd), entries(self.tmp))
        self.state = (os.environ.get("TMPDIR"), tempfile.tempdir, umask())
        current(test.id())

    def _tb(self, err, test) -> str:
        return trim(self._exc_info_to_string(err, test))

    def _fixture(self, test, outcome: str, reason: str = "", err=None) -> None:
        """An error outside a test (setUpClass, tearDownModule...): a record of its own."""
        emit({"t": "test", "module": self.module, "id": test.id(), "outcome": outcome,
              "reason": reason, "tb": [self._tb(err, test)] if err else [], "notes": [],
              "fixture": True})

    def addSuccess(self, test):
        super().addSuccess(test)
        self.rec["outcome"] = "pass"

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.rec["outcome"] = "fail"
        self.rec["tb"].append(self._tb(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        if self.rec is None or test.id() != self.rec["id"]:
            self._fixture(test, "error", err=err)
            return
        self.rec["outcome"] = "error"
        self.rec["tb"].append(self._tb(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if self.rec is None or test.id() != self.rec["id"]:
            self._fixture(test, "skip", reason=reason)
            return
        self.rec["outcome"] = "skip"
        self.rec["reason"] = reason

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.rec["outcome"] = "xfail"

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.rec["outcome"] = "xpass"

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            return
        kind = "fail" if issubclass(err[0], test.failureException) else "error"
        self.rec.setdefault("sub", []).append(kind)
        self.rec["tb"].append(f"[subtest {subtest._subDescription()}]\n" + self._tb(err, test))

    def stopTest(self, test):
        super().stopTest(test)
        rec = self.rec
        if rec["outcome"] is None:
            subs = rec.get("sub", [])
            rec["outcome"] = "error" if "error" in subs else "fail" if subs else "error"
        elif rec["outcome"] == "pass" and rec.get("sub"):
            rec["outcome"] = "error" if "error" in rec["sub"] else "fail"
        rec["secs"] = round(time.monotonic() - self.t0, 4)
        current("cleanup:" + rec["id"])
        self.cleanup(rec["notes"])
        emit(rec)
        self.rec = None
        self.count += 1

    def cleanup(self, notes: list[str]) -> None:
        try:
            if os.getcwd() != self.cwd:
                os.chdir(self.cwd)
        except OSError as exc:
            notes.append(f"chdir back failed: {exc!r}")
        tmpdir, tempdir, mask = self.state
        if os.environ.get("TMPDIR") != tmpdir:
            os.environ["TMPDIR"] = tmpdir
        tempfile.tempdir = tempdir
        if umask() != mask:
            os.umask(mask)
        if not self.boxed:
            return
        for folder, before in zip((self.cwd, self.tmp), self.before, strict=True):
            for name in sorted(entries(folder) - before):
                try:
                    wipe(os.path.join(folder, name))
                except Exception as exc:  # noqa: BLE001 - reported, and the run goes on
                    notes.append(f"cleanup of {name!r} failed: {exc!r}")


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def enter_box(root: str, name: str) -> tuple[str, str, str]:
    """A fresh empty folder for one module: its cwd and its TMPDIR."""
    box = os.path.join(root, name[:60])
    cwd, tmp = os.path.join(box, "cwd"), os.path.join(box, "tmp")
    os.makedirs(cwd)
    os.makedirs(tmp)
    os.chdir(cwd)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = None
    return box, cwd, tmp


def run_module(name: str, classes: list[str] | None, root: str, boot: int, skip: set[str],
               counter: list[int]) -> None:
    """One module, imported and run with cwd and TMPDIR in a fresh folder of its own (some
    modules resolve TESTFN at import time), emptied again after each test."""
    import traceback

    t0 = time.monotonic()
    notes: list[str] = []
    counter[0] += 1
    dom.select("#log").attr("data-module", name)  # the host times each module by this
    current("import:" + name)
    try:
        box, cwd, tmp = enter_box(root, f"b{boot}-{counter[0]:02d}-{name.rpartition('.')[2]}")
    except OSError as exc:
        emit({"t": "module", "module": name, "secs": 0, "notes": notes,
              "error": f"could not make its folders under {root}: {exc!r}"})
        return
    try:
        module = importlib.import_module(name)
        suite = unittest.TestLoader().loadTestsFromModule(module)
    except BaseException as exc:  # noqa: BLE001
        emit({"t": "module", "module": name, "secs": round(time.monotonic() - t0, 3),
              "error": trim("".join(traceback.format_exception(exc))), "notes": notes})
        return
    by_class: dict[type, list] = {}
    for test in flatten(suite):
        by_class.setdefault(type(test), []).append(test)
    found = {cls.__name__ for cls in by_class}
    if classes is not None:
        notes += [f"no test class {c} in {name}" for c in classes if c not in found]
    for cls, tests in by_class.items():
        key = f"{cls.__module__}.{cls.__qualname__}"
        if classes is not None and cls.__name__ not in classes:
            continue
        tests = [t for t in tests if t.id() not in skip]
        if key in skip or not tests:
            continue
        current("class:" + key)
        result = Result(name, cwd, tmp, boxed=True)
        unittest.TestSuite(tests).run(result)
        try:  # a failed class set-up or tear-down may leave things behind
            os.chdir(cwd)
            for folder in (cwd, tmp):
                for entry in entries(folder):
                    wipe(os.path.join(folder, entry))
        except Exception as exc:  # noqa: BLE001
            notes.append(f"{key}: emptying its folders failed: {exc!r}")
    current("leave:" + name)
    os.chdir(root)
    try:
        wipe(box)
    except Exception as exc:  # noqa: BLE001
        notes.append(f"removing its folder failed: {exc!r}")
    emit({"t": "module", "module": name, "secs": round(time.monotonic() - t0, 3),
          "notes": notes})


def main() -> None:
    with open(os.path.join(HERE, "plan.json"), encoding="utf-8") as fh:
        plan = json.load(fh)
    sys.path.insert(0, os.path.join(APP_DIR, plan["lib"]))
    root = plan["root"]
    os.makedirs(root, exist_ok=True)
    from test import support

    support.verbose = 0
    try:
        import js

        transport = str(getattr(js, "pyshellFileTransport", "?"))
    except ImportError:
        transport = "?"
    emit({"t": "start", "boot": plan["boot"], "root": root, "transport": transport,
          "python": sys.version, "support": support.__file__})
    skip = set(plan["skip"])
    counter = [0]
    t0 = time.monotonic()
    for name, classes in plan["modules"]:
        run_module(name, classes, root, plan["boot"], skip, counter)
    os.chdir("/home/pyodide")
    emit({"t": "done", "secs": round(time.monotonic() - t0, 3)})
    dom.select("#out").text = "done"
