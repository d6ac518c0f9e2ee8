"""Start-up snapshots: a restored app behaves as a cold-booted one; bad snapshots fall back."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from kit.apps import write_app
from pyshell import config, runtime, scaffold
from pyshell.deps.lock import Lock, LockedPackage
from pyshell.packages import Packages
from pyshell.snapshots import SnapshotStore, imports, is_whole_gzip, key
from pyshell.testing import start_server, wait_until_idle, wait_until_started
from wheelmaker import make_wheel


@pytest.fixture
def cache(private_cache: Path) -> Path:
    return private_cache


def saved(folder: Path) -> Path:
    """The one snapshot file stored for the app; a whole gzip stream."""
    (found,) = folder.glob("*.snap")
    assert found.stat().st_size > 1_000_000 and is_whole_gzip(found.read_bytes())
    return found


def launch(browser, server, add: str | None = None) -> tuple[str, list[str]]:
    """Open the app once; (how it booted, the task titles it shows), optionally adding one.
    After a cold boot the page stays open until its snapshot is stored."""
    from playwright.sync_api import expect

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page, timeout_ms=90_000)
        expect(page.locator("#list .task").first).to_be_visible()
        if add:
            count = page.locator("#list .task").count()
            page.fill("#new-title", add)
            page.press("#new-title", "Enter")
            expect(page.locator("#list .task")).to_have_count(count + 1)
            wait_until_idle(page)  # the page shows the task before Python has saved it
        boot = page.locator("html").get_attribute("data-pyshell-boot") or ""
        if boot == "cold":
            expect(page.locator("html")).to_have_attribute("data-pyshell-snapshot", "saved",
                                                           timeout=60_000)
        return boot, page.locator("#list .title").all_inner_texts()
    finally:
        context.close()


@pytest.mark.page
def test_restored_app_behaves_like_a_cold_one(tmp_path: Path, cache: Path,
                                              pyshell_browser) -> None:
    app = scaffold.create("snap-tasks", target=tmp_path / "snap-tasks")
    server = start_server(app, {"appdata": tmp_path / "appdata"})
    try:
        boot1, titles1 = launch(pyshell_browser, server, add="made cold")
        saved(cache / "snapshots" / "snap-tasks")
        snaps = list((cache / "snapshots" / "snap-tasks").glob("*.snap"))
        boot2, titles2 = launch(pyshell_browser, server, add="made restored")
        boot3, titles3 = launch(pyshell_browser, server)
    finally:
        server.stop()
    assert (boot1, boot2, boot3) == ("cold", "snapshot", "snapshot")
    assert len(snaps) == 1
    assert titles1[-1] == "made cold"
    # The restored app read the file the cold one wrote, and saved through its grant too.
    assert titles2[-2:] == ["made cold", "made restored"]
    assert titles3 == titles2


@pytest.mark.page
def test_truncated_snapshot_falls_back_to_a_cold_boot_with_a_note(
        tmp_path: Path, cache: Path, pyshell_browser) -> None:
    app = scaffold.create("snap-bad", target=tmp_path / "snap-bad")
    server = start_server(app, {"appdata": tmp_path / "appdata"})
    try:
        assert launch(pyshell_browser, server)[0] == "cold"
        snap = saved(cache / "snapshots" / "snap-bad")
        snap.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])
        boot, titles = launch(pyshell_browser, server)
        assert boot == "cold" and titles == ["Try pyshell", "Edit app/main.py", "Ship it"]
        notes = [text for _, text in server.logs if "snapshot unusable" in text]  # type: ignore[attr-defined]
        assert len(notes) == 1 and "booting cold" in notes[0]
        saved(cache / "snapshots" / "snap-bad")  # a whole new one
        assert launch(pyshell_browser, server)[0] == "snapshot"
    finally:
        server.stop()


@pytest.mark.page
def test_a_javascript_object_held_ahead_is_explained_not_pyodides_words(
        tmp_path: Path, cache: Path, pyshell_browser) -> None:
    app = scaffold.create("snap-js", target=tmp_path / "snap-js")
    (app / "app" / "holds_js.py").write_text("import js\n\nHELD = js.Object.new()\n")
    toml = app / "pyproject.toml"
    toml.write_text(toml.read_text().replace('snapshot-imports = ["app.tasks"]',
                                             'snapshot-imports = ["app.holds_js"]'))
    server = start_server(app, {"appdata": tmp_path / "appdata"})
    try:
        from playwright.sync_api import expect

        context = pyshell_browser.new_context()
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page, timeout_ms=90_000)
        expect(page.locator("html")).to_have_attribute("data-pyshell-snapshot", "failed",
                                                       timeout=60_000)
        context.close()
    finally:
        server.stop()
    notes = [text for _, text in server.logs if "snapshot" in text]  # type: ignore[attr-defined]
    assert len(notes) == 1, server.logs  # type: ignore[attr-defined]
    assert "JavaScript object" in notes[0] and "snapshot-imports" in notes[0], notes
    assert "hiwire" not in notes[0] and "\n" not in notes[0].strip(), notes


PYDANTIC_MAIN = '''
from pydantic import BaseModel
from pyshell import dom
import soft_speedups


class Note(BaseModel):
    pages: int


def main():
    note = repr(Note(pages="5"))  # validated (and coerced) by pydantic-core
    dom.select("#out").text = f"{note} fast={soft_speedups.FAST}"
'''

# A pure package that uses a compiled one when it is there, as many do; its lock entry
# does not depend on it, so only the import itself shows it.
SOFT_SPEEDUPS = '''
try:
    import pydantic_core
    FAST = True
except ImportError:
    FAST = False
'''


@pytest.mark.page
def test_an_app_with_a_compiled_wheel_restores_from_its_snapshot(
        tmp_path: Path, cache: Path, pyshell_browser, monkeypatch: pytest.MonkeyPatch) -> None:
    """pydantic needs pydantic-core's shared library, which Pyodide's loader keeps outside
    the heap: the snapshot is taken before it is loaded, and it is loaded after a restore.
    A module that only tries to import it is left out of the snapshot, so it finds it."""
    from playwright.sync_api import expect

    from pyshell.deps import service

    make_wheel(tmp_path / "links", "soft-speedups", "1.0",
               files={"soft_speedups/__init__.py": SOFT_SPEEDUPS})
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "links"))
    app = write_app(tmp_path / "snap-pydantic", PYDANTIC_MAIN, name="snap-pydantic",
                    project='version = "1.0"\n'
                            'dependencies = ["pydantic>=2", "soft-speedups==1.0"]\n')
    service.lock(config.load(app), runtime.ensure(), io.StringIO())
    server = start_server(app, {})
    boots = []
    try:
        for _ in range(2):
            context = pyshell_browser.new_context()
            page = context.new_page()
            page.goto(server.launch_url())
            wait_until_started(page, timeout_ms=90_000)
            expect(page.locator("#out")).to_have_text("Note(pages=5) fast=True")
            boots.append(page.locator("html").get_attribute("data-pyshell-boot"))
            if boots[-1] == "cold":
                expect(page.locator("html")).to_have_attribute("data-pyshell-snapshot", "saved",
                                                               timeout=60_000)
            context.close()
    finally:
        server.stop()
    assert boots == ["cold", "snapshot"], server.logs  # type: ignore[attr-defined]
    notes = [text for _, text in server.logs if "snapshot" in text]  # type: ignore[attr-defined]
    assert notes == [], notes


def wheel(sha: str) -> LockedPackage:
    return LockedPackage("demo", "1.0", "demo-1.0-py3-none-any.whl", sha, "x")


def test_key_changes_with_the_lock_and_the_runtime_only() -> None:
    rt = runtime.ensure()
    info = rt.lock()["info"]
    one = Packages(Lock(info, {}, (wheel("a" * 64),)), {"demo-1.0-py3-none-any.whl": Path()})
    other = Packages(Lock(info, {}, (wheel("b" * 64),)), {"demo-1.0-py3-none-any.whl": Path()})
    assert key(rt, one) == key(rt, one)
    assert key(rt, one) != key(rt, other)  # a re-locked wheel
    assert key(rt, Packages()) != key(rt, one)  # a dependency added
    assert key(runtime.Runtime("315.0.0", rt.path), one) != key(rt, one)  # another runtime


def test_store_keeps_one_snapshot_per_engine_and_refuses_odd_names(tmp_path: Path) -> None:
    old = SnapshotStore("app", "k1", root=tmp_path)
    new = SnapshotStore("app", "k2", root=tmp_path)
    engine, other_engine = "ab" * 12, "cd" * 12
    first, second, third = (gzip.compress(text * 100_000) for text in (b"old", b"other", b"new"))
    assert old.save(engine, first) and old.save(other_engine, second)
    assert new.save(engine, third)
    assert new.load(engine) == third and old.load(engine) is None  # the stale key is gone
    assert old.load(other_engine) == second  # another engine's snapshot stays
    assert new.path("../../etc/passwd") is None and new.load("x") is None
    # An upload cut short, or not gzip at all, is refused and keeps what was there.
    assert not new.save(engine, third[:-9]) and not new.save(engine, b"raw memory")
    assert not new.save(engine, third + b"junk")
    assert new.load(engine) == third


def test_key_follows_app_code_only_when_the_app_imports_it_into_the_snapshot(
        tmp_path: Path) -> None:
    rt = runtime.ensure()
    app_dir = scaffold.create("snap-key", target=tmp_path / "snap-key")
    with_imports = config.load(app_dir)
    assert with_imports.snapshot_imports == ("app.tasks",)  # the template lists its model
    toml = app_dir / "pyproject.toml"
    toml.write_text(toml.read_text().replace('snapshot-imports = ["app.tasks"]', ""))
    without = config.load(app_dir)
    before = key(rt, Packages(), with_imports), key(rt, Packages(), without)
    tasks = app_dir / "app" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n# edited\n")
    after = key(rt, Packages(), with_imports), key(rt, Packages(), without)
    assert before[0] != after[0]  # its module is in the snapshot: a new snapshot
    assert before[1] == after[1]  # loaded after the restore anyway: the snapshot stays
    # A new standard-library import is imported ahead into the snapshot: a new key.
    tasks.write_text("import csv\nimport os.path as osp\nimport this.is_not\n"
                     + tasks.read_text())
    assert key(rt, Packages(), without) != after[1]


def test_snapshot_imports_the_standard_library_modules_the_app_imports(tmp_path: Path) -> None:
    app_dir = scaffold.create("snap-std", target=tmp_path / "snap-std")
    (app_dir / "app" / "extra.py").write_text(
        "import csv, os.path\nfrom email import message\nfrom . import tasks\n"
        "import antigravity\nimport attrs\n")
    (app_dir / "app" / "broken.py").write_text("def (:\n")
    names = imports(config.load(app_dir))
    assert {"csv", "os.path", "email", "json", "html"} <= set(names)
    assert names[-1] == "app.tasks"  # what the app lists comes last, after the stdlib
    assert not {"antigravity", "attrs", "tasks", "app"} & set(names)  # effects; not stdlib
    # With attrs locked, the app's import of it goes ahead too (its submodules included).
    (app_dir / "app" / "extra.py").write_text("import attrs.validators\nimport six\n")
    lock = Lock({}, {}, (LockedPackage("attrs", "25.1", "attrs-25.1-py3-none-any.whl",
                                       "a" * 64, "", imports=("attrs",)),))
    names = imports(config.load(app_dir), Packages(lock, {}))
    assert "attrs.validators" in names and "six" not in names


def test_precompiled_code_is_used_only_for_the_same_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys
    from importlib.machinery import SourceFileLoader
    from types import CodeType

    from pyshell import precompiled

    monkeypatch.setattr(SourceFileLoader, "source_to_code", SourceFileLoader.source_to_code)
    monkeypatch.setattr(precompiled, "_code", {})
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no .pyc to short-cut the loader
    monkeypatch.syspath_prepend(str(tmp_path))
    package = tmp_path / "aheadpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "mod.py"
    module.write_text("def f():\n    return 1\n")
    (package / "broken.py").write_text("def (:\n")
    assert precompiled.compile_tree(str(tmp_path)) == 2  # the broken file is left to import
    ahead = precompiled._code[str(module)][1]
    function_code = next(c for c in ahead.co_consts if isinstance(c, CodeType))
    mod = importlib.import_module("aheadpkg.mod")
    try:
        assert mod.f() == 1 and mod.f.__code__ is function_code  # the code compiled ahead
        module.write_text("def f():\n    return 2\n")  # an edit: compiled afresh
        importlib.invalidate_caches()
        assert importlib.reload(mod).f() == 2 and mod.f.__code__ is not function_code
    finally:
        for name in ("aheadpkg.mod", "aheadpkg"):
            sys.modules.pop(name, None)
