"""What pyproject.toml says about the app's Python, checked on the host before it runs.

A misspelt entry function or snapshot module would otherwise be found only inside the
window, after Pyodide booted; `pyshell run` and `pyshell build` say it in one line first.
The app's code is read (parsed), never run.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path

from .config import AppConfig
from .deps import lock as lockfile
from .errors import PyshellError


def check(app: AppConfig, stdlib_zip: Path | None = None) -> None:
    """Raise a one-line PyshellError if the entry function or a snapshot import is missing.

    ``stdlib_zip``: the runtime's python_stdlib.zip (its modules count as present, as do
    the host's standard library and the modules of the app's locked packages).
    """
    _check_entry(app)
    lock = lockfile.read(app.root)
    known = set(sys.stdlib_module_names) | _locked_modules(lock)
    if stdlib_zip is not None and stdlib_zip.is_file():
        known |= _zip_modules(stdlib_zip)
    own = _own(app)
    for name in app.snapshot_imports:
        top = name.partition(".")[0]
        if top in own and _app_file(app, name) is None:
            raise PyshellError(f"pyproject.toml: [tool.pyshell] snapshot-imports: {name!r} "
                               f"not found (no {name.replace('.', '/')}.py in {app.root})")
        if top not in own and top not in known:
            raise PyshellError(
                f"pyproject.toml: [tool.pyshell] snapshot-imports: no module {name!r} in the "
                "app, the standard library or the locked packages; fix the name or remove it")


def _check_entry(app: AppConfig) -> None:
    module, function = app.entry_module, app.entry_function
    path = _app_file(app, module)
    if path is None:
        raise PyshellError(f"pyproject.toml: [tool.pyshell] entry: module {module!r} not found "
                           f"(no {module.replace('.', '/')}.py in {app.root})")
    if function is None:
        return
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return  # shown with its line by the app's own error panel and by `pyshell dev`
    names = _top_level_names(tree)
    if names is not None and function not in names:
        where = path.relative_to(app.root)
        raise PyshellError(f"pyproject.toml: [tool.pyshell] entry: {where} defines no "
                           f"{function!r}; define it or fix the entry")


def _app_file(app: AppConfig, module: str) -> Path | None:
    base = app.root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _own(app: AppConfig) -> set[str]:
    """Top-level names of the app's own packages."""
    return {Path(p).parts[0] for p in app.packages}


def _top_level_names(tree: ast.Module) -> set[str] | None:
    """Names a module defines at its top level; None when it cannot be told (``import *``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).partition(".")[0] for a in node.names}
        else:  # assignments, and definitions under if/try at the top level
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                      and isinstance(n.ctx, ast.Store)}
            names |= {n.name for n in ast.walk(node)
                      if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    return names


def _locked_modules(lock: lockfile.Lock | None) -> set[str]:
    if lock is None:
        return set()
    return {name.partition(".")[0] for package in lock.packages for name in package.imports}


def _zip_modules(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return {name.split("/")[0].removesuffix(".py").removesuffix(".pyc")
                for name in zf.namelist()}
