"""The host-page contract: one definition in Python (pyshell.contract), and the docs and
the JavaScript checked against it, so that a key or a message added on one side fails here."""

from __future__ import annotations

import ast
import dataclasses
import html.parser
import json
import re
import types
import typing
from pathlib import Path
from types import SimpleNamespace

import pytest

from kit import REPO
from kit.apps import grant_toml, write_app
from pyshell import bootstrap, capabilities, config, contract
from pyshell.build.targets.web import web_config
from pyshell.deps.lock import Lock, LockedPackage
from pyshell.packages import Packages
from pyshell.testing import app_server

DOCS = (REPO / "docs" / "protocol.md").read_text()
WASM = REPO / "wasm_runtime"
PROTOCOL = (WASM / "protocol.mjs").read_text()
LOADER = (WASM / "loader.mjs").read_text()
WORKER = (WASM / "worker.mjs").read_text()
DOM_PY = (WASM / "python" / "pyshell" / "dom.py").read_text()
STUB = WASM / "python" / "_pyshell_js.pyi"


# ---- reading the docs and the JavaScript ---------------------------------------------------
def table_after(heading: str) -> list[list[str]]:
    """The rows (header and separator left out) of the first table under ``heading``."""
    lines = DOCS.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows: list[list[str]] = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert rows, f"no table under {heading!r} in docs/protocol.md"
    return rows[2:]


def code_names(cell: str) -> list[str]:
    """The `names` in a table cell, leaving out what parentheses explain."""
    return re.findall(r"`([\w-]+)`", re.sub(r"\([^)]*\)", "", cell))


def typedefs(source: str) -> dict[str, dict[str, str]]:
    """JSDoc ``@typedef {object} Name`` blocks: property name -> type."""
    found = {}
    for block in re.findall(r"/\*\*(.*?)\*/", source, re.S):
        name = re.search(r"@typedef \{object\} (\w+)", block)
        if name:
            found[name[1]] = {prop: kind for kind, prop
                              in re.findall(r"@property \{([^}]*)\} (\w+)", block)}
    return found


def js_object_keys(source: str, opening: str) -> set[str]:
    """The keys of an object literal written one member per line, two spaces in."""
    body = source[source.index(opening):]
    body = body[:body.index("\n};")]
    return set(re.findall(r"^  (\w+)\s*[(:]", body, re.M))


# ---- the Python side, as JSON and JSDoc name it -----------------------------------------------
def js_type(hint: object) -> str:
    """A Python annotation in JSDoc's notation: ``str | None`` -> ``?string``."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return "?" + js_type(inner)
    if typing.get_origin(hint) in (tuple, list):
        return js_type(args[0]) + "[]"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint.__name__
    return {str: "string", bool: "boolean", int: "number"}[hint]  # type: ignore[index]


def records() -> dict[str, dict[str, str]]:
    """BootConfig and every record it holds: JSON key -> JSDoc type."""
    found: dict[str, dict[str, str]] = {}
    todo: list[type] = [contract.BootConfig]
    while todo:
        record = todo.pop()
        hints = typing.get_type_hints(record)
        found[record.__name__] = {contract.json_name(f.name): js_type(hints[f.name])
                                  for f in dataclasses.fields(record)}
        for hint in hints.values():
            for part in (hint, *typing.get_args(hint)):
                if dataclasses.is_dataclass(part) and part.__name__ not in found:
                    todo.append(part)  # type: ignore[arg-type]
    return found


# ---- the boot config --------------------------------------------------------------------------
@pytest.mark.parametrize("record", sorted(records()))
def test_docs_table_of_each_config_record_is_the_contracts(record: str) -> None:
    documented = {code_names(row[0])[0]: row[1].strip("`") for row in table_after(f"### {record}")}
    assert documented == records()[record]


def test_jsdoc_typedefs_are_the_contracts() -> None:
    assert typedefs(PROTOCOL) == records()


def test_page_and_worker_read_the_config_through_the_typedef_without_fallbacks() -> None:
    for source in (LOADER, WORKER):
        assert '@type {import("./protocol.mjs").BootConfig}' in source
        used = set(re.findall(r"(?<![.\w])config\.(\w+)", source))
        assert used <= set(records()["BootConfig"]), used - set(records()["BootConfig"])
        fallbacks = re.findall(r"(?<![.\w])config\.\w+(?:\.\w+)*\s*(?:\?\?|\?\.)", source)
        assert not fallbacks, fallbacks
    assert f'meta[name="{contract.CONFIG_META}"]' in LOADER
    assert f'meta[name="{contract.TOKEN_META}"]' in LOADER


def test_a_grant_on_the_page_is_what_capabilities_makes_public() -> None:
    grant = capabilities.Grant("g1", "/data", Path("/srv"), True, "notes.txt")
    page = contract.Grant(grant.id, grant.mount, grant.writable, grant.only,
                          capabilities.display_path(grant.root))
    assert contract.BootConfig("m:f", "b", "r", grants=(page,)).to_json()["grants"] == [
        grant.public()]


def head_meta(page: str) -> dict[str, str]:
    """The page's <meta name=...> contents, unescaped as the browser reads them."""
    found: dict[str, str] = {}

    class Metas(html.parser.HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "meta" and values.get("name"):
                found[str(values["name"])] = str(values["content"])

    Metas().feed(page)
    return found


def test_app_server_sends_every_key(tmp_path: Path, pyshell_folders) -> None:
    app = config.load(write_app(tmp_path / "c", extra_toml=grant_toml("{appdata}", "/data", "rw"),
                                name="c"))
    with app_server(app, pyshell_folders) as server:
        page = contract.inject_head("<head><title>t</title></head>", contract.head_tags(
            server.boot_config(), "/_pyshell/wasm/loader.mjs", token=server.token))
        sent = json.loads(head_meta(page)[contract.CONFIG_META])
    assert set(sent) == set(records()["BootConfig"])
    assert sent["grants"] == [{"id": sent["grants"][0]["id"], "mount": "/data",
                               "writable": True, "file": None,
                               "hostPath": str(pyshell_folders["appdata"].resolve())}]
    assert sent["fsSocket"] == f"ws://127.0.0.1:{server.port}/_pyshell/api/fs-socket"
    assert sent["dev"] is None and sent["packages"] is None and sent["browserGrants"] == []
    assert head_meta(page)[contract.TOKEN_META] == server.token


def test_web_build_sends_every_key_and_keeps_only_appdata(tmp_path: Path) -> None:
    toml = (grant_toml("{appdata}/notes", "/notes", "rw")
            + grant_toml("{documents}", "/docs", "ro"))
    lock = Lock({}, {}, (LockedPackage("attrs", "25.1", "attrs-25.1-py3-none-any.whl",
                                       "a" * 64, "", imports=("attrs",)),))
    ctx = SimpleNamespace(project=SimpleNamespace(app=config.load(write_app(tmp_path / "w", extra_toml=toml, name="w"))),
                          packages=Packages(lock, {}))
    sent = web_config(ctx).to_json()  # type: ignore[arg-type]
    assert set(sent) == set(records()["BootConfig"])
    assert sent["browserGrants"] == [{"mount": "/notes", "writable": True}]
    assert [r["mount"] for r in sent["refused"]] == ["/docs"]
    assert sent["packages"] == {"lock": "_pyshell/packages/pyodide-lock.json",
                                "names": ["attrs"], "imports": ["attrs"]}
    assert sent["log"] is None and sent["fs"] is None and sent["grants"] == []


def test_config_is_escaped_in_its_attribute() -> None:
    tricky = contract.BootConfig('app.main:main" onload="x', "<b>", "&r")
    tags = contract.head_tags(tricky, "l.mjs", csp="default-src 'none'")
    assert json.loads(head_meta(tags)[contract.CONFIG_META])["entry"] == tricky.entry
    assert tags.startswith('<meta http-equiv="Content-Security-Policy"')


# ---- messages ---------------------------------------------------------------------------------
def documented_messages(heading: str) -> dict[str, tuple[str, list[str]]]:
    return {code_names(row[0])[0]: (row[1], code_names(row[2]))
            for row in table_after(heading)}


@pytest.mark.parametrize(("heading", "messages"), [
    ("## Messages (page ↔ worker)", contract.WORKER_MESSAGES),
    ("## Dev reload channel", contract.DEV_MESSAGES),
    ("## Window relay", contract.WINDOW_MESSAGES),
])
def test_docs_message_tables_are_the_contracts(heading: str,
                                               messages: tuple[contract.Message, ...]) -> None:
    assert documented_messages(heading) == {
        m.type: (f"{m.sender} → {m.receiver}", list(m.fields)) for m in messages}


def test_protocol_module_names_every_message_and_its_fields() -> None:
    declared = {}
    for name, value, comment in re.findall(r'export const (\w+) = "([^"]+)";\s*//([^\n]*)',
                                           PROTOCOL):
        fields = {f.strip() for group in re.findall(r"\{([^}]*)\}", comment)
                  for f in group.split(",")} - {"type"}
        declared[name] = (value, fields)
    assert declared == {m.name: (m.type, set(m.fields)) for m in contract.MESSAGES}


def test_page_and_worker_use_only_declared_messages() -> None:
    names = {m.name for m in contract.MESSAGES}
    for source in (LOADER, WORKER):
        used = set(re.findall(r"\bmsg\.(\w+)", source))
        assert used and used <= names, used - names


def test_a_message_is_encoded_with_exactly_its_fields() -> None:
    assert json.loads(contract.CSS_UPDATE.encode(paths=["a.css"])) == {
        "type": "css-update", "paths": ["a.css"]}
    with pytest.raises(TypeError, match="css-update carries"):
        contract.CSS_UPDATE.encode(path="a.css")


# ---- DOM operations, the bridge, the worker's Python ------------------------------------------
def test_dom_ops_are_the_same_in_docs_page_and_python() -> None:
    documented = {name for row in table_after("## DOM operations") for name in
                  code_names(row[0])}
    applied = js_object_keys(LOADER, "const OPS = {")
    sent = set(re.findall(r'(?:_op\(|_queue\(\[|append\(\[)"(\w+)"', DOM_PY))
    assert documented == applied == sent


def test_bridge_stub_names_what_the_worker_registers() -> None:
    stub = {node.name for node in ast.parse(STUB.read_text()).body
            if isinstance(node, ast.FunctionDef)}
    assert stub == js_object_keys(WORKER, "const bridge = {")
    assert 'registerJsModule("_pyshell_js", bridge)' in WORKER


def test_worker_holds_no_python_and_calls_bootstrap_by_name() -> None:
    assert "runPython" not in WORKER
    called = set(re.findall(r"\bbootstrap\.(\w+)\(", WORKER))
    assert called == {"wheel_folder", "prepare", "warm", "start", "dispatch", "run_timer",
                      "reload", "close", "host_event", "menu_click"}
    assert all(callable(getattr(bootstrap, name)) for name in called)
    app_dir = re.search(r'const APP_DIR = "([^"]+)"', WORKER)
    assert app_dir and app_dir[1] + "/" == bootstrap.APP_ROOT
