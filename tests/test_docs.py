"""The documentation site (docs/, mkdocs.yml): its examples run, its references are complete.

A fenced block in docs/ runs as a test when an HTML comment right before it says how
(the comment is not shown on the site)::

    <!-- run: page -->      an ```html block: the ui/index.html of the app examples after it
    <!-- run: app           a ```python block: app/main.py of a small app, run in real
    click #add              Pyodide in headless Chromium through the real app server; the
    text #count 1 left      lines after "app" are steps (see STEPS), then the page must show
    -->                     no Python error
    <!-- run: config -->    a ```toml block: parsed with pyshell's config parser
    <!-- run: host -->      a ```python block: run by the host's Python (a fresh process)
    <!-- run: pytest -->    a ```python block: a test file, run with pytest in a new app
                            made by `pyshell new` (the pyshell_* fixtures at work)

docs/guides/contributing.md says the same for people writing the docs.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pyshell import associations, config, scaffold
from pyshell.errors import PyshellError

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
BLOCK = re.compile(r"^[ \t]*<!-- run: (?P<kind>\w+)(?P<steps>(?:(?!-->).)*)-->[ \t]*\n"
                   r"(?P<indent>[ \t]*)```(?P<lang>\w+)[^\n]*\n(?P<code>.*?)\n(?P=indent)```",
                   re.S | re.M)
MARKER = re.compile(r"^[ \t]*<!-- run:", re.M)
KINDS = {"page": "html", "app": "python", "config": "toml", "host": "python",
         "pytest": "python"}
DEFAULT_PAGE = ("<!doctype html><html><head><title>example</title></head><body>"
                "<main id=app></main></body></html>")


@dataclass(frozen=True)
class Example:
    kind: str
    code: str
    steps: tuple[str, ...]
    where: str  # "tutorial.md:42"
    page: str   # the page an app example runs on


def examples(kind: str | None = None) -> list[Example]:
    found: list[Example] = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        page = DEFAULT_PAGE
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            where = f"{path.relative_to(DOCS)}:{line}"
            found_kind = match["kind"]
            assert found_kind in KINDS, f"{where}: unknown example kind {found_kind!r}"
            assert match["lang"] == KINDS[found_kind], (
                f"{where}: a {found_kind} example is a ```{KINDS[found_kind]} block")
            steps = tuple(s.strip() for s in match["steps"].splitlines() if s.strip())
            code = textwrap.dedent(match["code"])  # a block in a list item is indented
            if found_kind == "page":
                page = code
            found.append(Example(found_kind, code, steps, where, page))
    return [e for e in found if kind is None or e.kind == kind]


def params(kind: str) -> list[Any]:
    return [pytest.param(e, id=e.where) for e in examples(kind)]


# ---- the examples are there, and marked ---------------------------------------------------


def test_every_runnable_block_is_well_formed_and_the_guides_have_some() -> None:
    every = examples()
    per_file: dict[str, set[str]] = {}
    for example in every:
        per_file.setdefault(example.where.split(":")[0], set()).add(example.kind)
    # The tutorial's and the page/files/html guides' examples run, not only the reference's.
    assert "app" in per_file["tutorial.md"] and "config" in per_file["tutorial.md"]
    assert "app" in per_file["guides/ui.md"]
    assert {"app", "config"} <= per_file["guides/files-and-grants.md"]
    assert "pytest" in per_file["guides/testing.md"]
    assert "config" in per_file["reference/configuration.md"]
    # A marker the pattern cannot read (a typo, a blank line before the block) would
    # silently leave an example untested.
    for path in DOCS.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert len(MARKER.findall(text)) == len(BLOCK.findall(text)), path


# ---- config examples: parsed by pyshell's own parser --------------------------------------


def app_folder(root: Path, data: dict[str, Any]) -> None:
    """The folders a config names, so that the parser finds them."""
    tool = data.get("tool", {}).get("pyshell", {})
    (root / tool.get("ui", "ui")).mkdir(parents=True, exist_ok=True)
    (root / tool.get("ui", "ui") / "index.html").write_text("<!doctype html>")
    entry = tool.get("entry", "app.main:main")
    for package in tool.get("packages", [entry.split(".")[0].split(":")[0]]):
        (root / package).mkdir(parents=True, exist_ok=True)
    for file_type in tool.get("file-types", []):
        if "icon" in file_type:
            (root / file_type["icon"]).write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')


def parse_config(text: str, root: Path) -> config.AppConfig:
    if not re.search(r"^\[project\]", text, re.M):
        text = '[project]\nname = "notes"\nversion = "0.1.0"\n' + text
    data = tomllib.loads(text)
    app_folder(root, data)
    return config.parse(data, root)


@pytest.mark.parametrize("example", params("config"))
def test_config_example_parses(example: Example, tmp_path: Path) -> None:
    assert parse_config(example.code, tmp_path).name == "notes"


def test_readme_config_summary_parses(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```toml\n(.*?)\n```", readme, re.S | re.M)
    assert blocks
    for i, block in enumerate(blocks):
        app = parse_config(block, tmp_path / str(i))
        assert app.permissions and app.open_urls, "the summary shows grants and open-urls"


# ---- the configuration reference names every key the parser accepts -----------------------


def documented_keys() -> dict[str, set[str]]:
    """``| `key` |`` rows under each ``## `[table]` `` heading of the reference."""
    text = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    tables: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## `(\[.*\])`", line)
        if heading:
            current = heading[1]
            tables[current] = set()
        row = re.match(r"^\| `([a-z-]+)` \|", line)
        if row and current is not None:
            tables[current].add(row[1])
    return tables


def test_configuration_reference_lists_every_key_the_parser_accepts() -> None:
    tables = documented_keys()
    assert tables["[tool.pyshell]"] == set(config.TOOL_KEYS)
    assert tables["[tool.pyshell.window]"] == set(config.WINDOW_KEYS)
    assert tables["[tool.pyshell.permissions]"] == set(config.PERMISSIONS_KEYS)
    assert tables["[[tool.pyshell.permissions.fs]]"] == set(config.FS_KEYS)
    assert tables["[tool.pyshell.updates]"] == set(config.UPDATES_KEYS)
    assert tables["[[tool.pyshell.file-types]]"] == set(associations.FILE_TYPE_KEYS)


@pytest.mark.parametrize(("table", "keys"), [
    ("tool.pyshell", config.TOOL_KEYS), ("tool.pyshell.window", config.WINDOW_KEYS),
    ("tool.pyshell.permissions", config.PERMISSIONS_KEYS),
    ("tool.pyshell.permissions.fs", config.FS_KEYS),
    ("tool.pyshell.updates", config.UPDATES_KEYS)])
def test_the_key_lists_are_what_the_parser_accepts(table: str, keys: frozenset[str],
                                                   tmp_path: Path) -> None:
    """The key lists above are the parser's: an unknown key is refused with exactly them."""
    data: dict[str, Any] = {"project": {"name": "notes"}}
    tool: dict[str, Any] = {}
    data["tool"] = {"pyshell": tool}
    target = {"tool.pyshell": tool, "tool.pyshell.window": tool.setdefault("window", {}),
              "tool.pyshell.permissions": tool.setdefault("permissions", {})}
    if table == "tool.pyshell.permissions.fs":
        target[table] = {"path": "x", "mount": "/x"}
        tool["permissions"]["fs"] = [target[table]]
    if table == "tool.pyshell.updates":
        target[table] = tool["updates"] = {}
    target[table]["no-such-key"] = 1
    app_folder(tmp_path, data)
    with pytest.raises(PyshellError, match="unknown key 'no-such-key'") as error:
        config.parse(data, tmp_path)
    assert str(error.value).endswith(", ".join(sorted(keys)))


# ---- the fixtures reference names every fixture of the plugin ------------------------------


def test_fixtures_reference_lists_every_fixture_of_the_plugin() -> None:
    source = (REPO / "shell" / "pyshell" / "testing.py").read_text(encoding="utf-8")
    fixtures = {node.name for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.FunctionDef) and any(
                    "fixture" in ast.unparse(d) for d in node.decorator_list)}
    assert "pyshell_page" in fixtures and len(fixtures) >= 8
    text = (DOCS / "reference" / "testing.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## `(\w+)`", text, re.M))
    assert documented == fixtures


# ---- host examples: run by the host's Python ----------------------------------------------


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "shell"), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.parametrize("example", params("host"))
def test_host_example_runs(example: Example, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", example.code], cwd=tmp_path, env=env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{example.where}:\n{proc.stdout}\n{proc.stderr}"


# ---- app examples: real Pyodide in headless Chromium --------------------------------------

# Steps of an app example, one a line: a verb and its arguments (shell quoting).
#   grant MOUNT ro|rw        a grant of a fresh host folder at MOUNT (before start)
#   seed MOUNT/PATH TEXT     a host file in that folder (before start); ~/PATH: in the
#                            user's own folder, which no grant covers
#   pick KIND ~/PATH         what the user picks in the next file dialog (KIND: open_file,
#                            open_folder, save_file)
#   click SEL / fill SEL TEXT / press SEL KEY / scroll SEL     what a user does
#   text SEL TEXT / contains SEL TEXT / count SEL N / value SEL TEXT   what the page shows
#   hostfile MOUNT/PATH TEXT  the host file (in the grant's folder, or ~/PATH) holds TEXT
STEPS = {"grant", "seed", "pick", "click", "fill", "press", "scroll", "text", "contains",
         "count", "value", "hostfile"}


def host_file(grants: dict[str, Path], path: str) -> Path:
    mount = next(m for m in grants if path.startswith(m + "/"))
    return grants[mount] / path[len(mount) + 1:]


def dialogs(picks: list[tuple[str, Path]]) -> Any:
    """A dialog provider that answers with ``picks``, in order, and checks their kinds."""

    def pick(kind: str, suggested: str, types: Any) -> Path:
        assert picks, f"an unexpected {kind} dialog"
        expected, path = picks.pop(0)
        assert kind == expected, f"a {kind} dialog, where the example picks for {expected}"
        return path

    return pick


@pytest.mark.page
@pytest.mark.parametrize("example", params("app"))
def test_app_example_runs_in_pyodide(example: Example, pyshell_browser: Any,
                                     pyshell_folders: dict[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from pyshell.testing import open_app, start_server, wait_until_idle

    steps = [shlex.split(step) for step in example.steps]
    assert all(step[0] in STEPS for step in steps), f"{example.where}: {example.steps}"
    root = tmp_path / "example"
    (root / "app").mkdir(parents=True)
    (root / "ui").mkdir()
    grants: dict[str, Path] = {"~": tmp_path / "user"}  # the user's folder: no grant
    grants["~"].mkdir()
    picks: list[tuple[str, Path]] = []
    toml = ""
    for step in steps:
        if step[0] == "grant":
            grants[step[1]] = folder = tmp_path / "host" / step[1].strip("/")
            folder.mkdir(parents=True)
            toml += (f'[[tool.pyshell.permissions.fs]]\npath = "{folder}"\n'
                     f'mount = "{step[1]}"\nmode = "{step[2]}"\n')
        elif step[0] == "seed":
            target = host_file(grants, step[1])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step[2], encoding="utf-8")
        elif step[0] == "pick":
            picks.append((step[1], host_file(grants, step[2])))
    entry = "app.main:main" if re.search(r"^(async )?def main\(", example.code, re.M) else "app.main"
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "example"\nversion = "0.1.0"\n[tool.pyshell]\nentry = "{entry}"\n'
        + toml, encoding="utf-8")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(example.code, encoding="utf-8")
    (root / "ui" / "index.html").write_text(example.page, encoding="utf-8")

    server = start_server(root, pyshell_folders, cold=True)
    server.use_dialogs(dialogs(picks))
    context = pyshell_browser.new_context()
    try:
        page = open_app(context, server, "cold")
        for verb, *args in steps:
            if verb == "click":
                page.click(args[0])
            elif verb == "fill":
                page.fill(args[0], args[1])
            elif verb == "press":
                page.press(args[0], args[1])
            elif verb == "scroll":
                page.locator(args[0]).scroll_into_view_if_needed()
            elif verb == "text":
                expect(page.locator(args[0])).to_have_text(args[1])
            elif verb == "contains":
                expect(page.locator(args[0])).to_contain_text(args[1])
            elif verb == "value":
                expect(page.locator(args[0])).to_have_value(args[1])
            elif verb == "count":
                expect(page.locator(args[0])).to_have_count(int(args[1]))
            elif verb == "hostfile":
                wait_until_idle(page)
                assert host_file(grants, args[0]).read_text(encoding="utf-8") == args[1]
            wait_until_idle(page)
        wait_until_idle(page)
        assert not picks, f"{example.where}: dialogs never opened: {picks}"
        error = page.locator("#pyshell-error pre")
        assert error.count() == 0, f"{example.where}:\n{error.inner_text()}"
    finally:
        context.close()
        server.stop()
    printed = "\n".join(text for _, text in server.logs)
    assert "Traceback" not in printed, f"{example.where}:\n{printed}"


# ---- pytest examples: the plugin's fixtures in an app made by `pyshell new` ---------------


@pytest.mark.page
@pytest.mark.parametrize("example", params("pytest"))
def test_pytest_example_passes_in_a_new_app(example: Example, tmp_path: Path) -> None:
    app = scaffold.create("notes", target=tmp_path / "notes")
    (app / "tests" / "test_from_docs.py").write_text(example.code, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_from_docs.py"], cwd=app, env=env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{example.where}:\n{proc.stdout[-4000:]}\n{proc.stderr}"
    assert re.search(r"\b\d+ passed\b", proc.stdout) and " failed" not in proc.stdout
