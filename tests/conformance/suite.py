"""CPython 3.14's Lib/test file modules in the app's Pyodide: a grant must behave like MEMFS.

The same modules (test_fileio, test_glob, test_tempfile, test_shutil, test_pathlib's local
path tests, test_os's file/folder/stat/scandir/walk/utime/makedirs classes) run three times
in real Chromium: with cwd and TMPDIR in Pyodide's in-memory /tmp (the baseline), then in a
rw grant over each file transport (shared memory, XHR). A test may fail on both (Pyodide
lacks something), but nothing may fail or error only on the grant, and no test may be
skipped only on the grant unless by design (links are refused inside grants; chmod never sets
setgid: see harness.DESIGN_SKIPS).
The comparison and each configuration's wall time go to test-artifacts/conformance-*.
The tests come from scripts/cpython_tests.py (run by scripts/setup.sh; cached).

Each transport is a test module of its own (test_shared_memory.py, test_xhr.py: the same
fixtures and tests, with ``TRANSPORT`` set), so parallel workers run them side by side.
"""

from __future__ import annotations

import re

import pytest

from . import harness

pytestmark = pytest.mark.page

MIN_TESTS = 700  # what the MEMFS run must reach, so that a broken harness fails
# Left out over XHR only: they count descriptors over thousands of opens (the worker's
# bookkeeping is the same code on both transports and runs on the shared-memory grant),
# and at the ~3 ms a synchronous XHR costs in Chromium they alone took 285 s.
SHARED_MEMORY_ONLY = re.compile(r"_many_open_files$|\.test_fd_leak$")
_runs: dict = {"memfs": None, "grants": {}}


@pytest.fixture(scope="module")
def cpython_lib():
    try:
        return harness.cpython_tests()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


def _report(artifacts, transport: str) -> None:
    harness.write_report(artifacts, _runs["memfs"], _runs["grants"], transport)


@pytest.fixture(scope="module")
def memfs(request, pyshell_browser, cpython_lib, tmp_path_factory, artifacts
          ) -> harness.ConfigRun:
    run = harness.run_config(pyshell_browser, tmp_path_factory.mktemp("conformance-memfs"),
                             cpython_lib, "memfs", grant=False)
    _runs["memfs"] = run
    _report(artifacts, request.module.TRANSPORT)
    return run


@pytest.fixture(scope="module")
def grant(request, memfs, pyshell_browser, cpython_lib, tmp_path_factory, artifacts
          ) -> tuple[harness.ConfigRun, dict]:
    transport = request.module.TRANSPORT
    name = f"grant-{transport}"
    omit = frozenset() if transport == "shared-memory" else frozenset(
        tid for tid in memfs.tests if SHARED_MEMORY_ONLY.search(tid))
    run = harness.run_config(pyshell_browser, tmp_path_factory.mktemp(f"conformance-{name}"),
                             cpython_lib, name, grant=True,
                             fast_path=transport == "shared-memory", omit=omit)
    diff = harness.compare(memfs, run, omit)
    _runs["grants"][name] = (run, diff)
    _report(artifacts, transport)
    return run, diff


def test_memfs_baseline_ran(memfs: harness.ConfigRun) -> None:
    counts = memfs.counts()
    assert counts["ran"] > MIN_TESTS, (counts, memfs.problems)
    assert counts["pass"] > MIN_TESTS // 2, counts
    assert not [m for m, rec in memfs.modules.items() if rec.get("error")], memfs.problems
    assert len(memfs.modules) == len(harness.modules(harness.cpython_tests())), memfs.problems


def test_grant_run_used_its_transport(grant, request) -> None:
    run, _ = grant
    assert run.transport == request.module.TRANSPORT
    assert not [m for m, rec in run.modules.items() if rec.get("error")], run.problems


def test_no_failure_only_on_the_grant(grant) -> None:
    run, diff = grant
    lines = []
    for item in diff["grant_only_failures"]:
        lines.append(f"{item['id']}: {item['outcome']} (MEMFS: {item['memfs']})")
        lines += ["      " + ln for ln in item["tail"].splitlines()]
    lines += [f"{m['id']}: not run on the grant (MEMFS: {m['memfs']})"
              for m in diff["not_run_on_grant"]]
    assert not lines, (f"{len(diff['grant_only_failures'])} tests fail only on {run.name}, "
                       f"{len(diff['not_run_on_grant'])} did not run there:\n"
                       + "\n".join(lines))


def test_no_file_skip_only_on_the_grant(grant) -> None:
    run, diff = grant
    skips = [s for s in diff["grant_only_skips"] if not s["by_design"]]
    by_reason: dict[str, list[str]] = {}
    for item in skips:
        by_reason.setdefault(item["reason"], []).append(item["id"])
    assert not by_reason, (f"skipped only on {run.name}:\n" + "\n".join(
        f"{reason!r}: {', '.join(ids)}" for reason, ids in by_reason.items()))
