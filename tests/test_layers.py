"""The runtime apart from the tooling: what installed apps carry imports nothing else.

``build.host.RUNTIME_MODULES`` is the runtime: the modules an installed app ships and runs.
Everything else in the package (the CLI, build/, dev/, the resolver in deps/, scaffold,
doctor, the pytest plugin) is tooling. These checks are static or in a subprocess, so they
are cheap; tests/test_build.py runs a built app with the tooling absent.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from kit import REPO
from pyshell.build.host import PACKAGE_DIR, RUNTIME_MODULES, copy_runtime

WASM_PACKAGE = REPO / "wasm_runtime" / "python" / "pyshell"
# The only tooling the runtime may name: `pyshell run/dev` from a source folder, inside
# the functions that need it, on paths an installed app never takes (it passes its own
# runtime and wheels, and has no dev mode).
LAZY_TOOLING = {("pyshell.launcher", "pyshell.deps.service"),
                ("pyshell.launcher", "pyshell.dev.reload"),
                ("pyshell.launcher", "pyshell.dev.watcher")}
TOOLING = ("build/", "dev/", "deps/resolve.py", "deps/service.py", "deps/distribution.py",
           "deps/pip_wasm.py", "deps/wheels.py", "cli.py", "testing.py", "scaffold.py",
           "doctor.py", "tomledit.py", "selfupdate/keys.py")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(("pyshell", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def runtime_files(root: Path = PACKAGE_DIR) -> dict[str, Path]:
    """The runtime's modules by dotted name, folders expanded."""
    files: list[Path] = []
    for name in RUNTIME_MODULES:
        files += sorted((root / name).rglob("*.py")) if name.endswith("/") else [root / name]
    return {module_name(f, root): f for f in files if f.suffix == ".py"}


RUNTIME = runtime_files()
WASM = {module_name(f, WASM_PACKAGE) for f in WASM_PACKAGE.glob("*.py")} - {"pyshell"}


def pyshell_imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported pyshell module, imported inside a function) for every import that runs;
    imports under ``if TYPE_CHECKING:`` are for the type checker only and are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.extend((a.name, lazy) for a in node.names if a.name.startswith("pyshell"))
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node, package)
            if base.startswith("pyshell"):
                found.extend((target(base, a.name), lazy) for a in node.names)
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[:len(parts) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def target(base: str, name: str) -> str:
    """``from base import name``: the module ``base.name`` if there is one, else ``base``."""
    candidate = f"{base}.{name}"
    rel = Path(*candidate.split(".")[1:])
    exists = (PACKAGE_DIR / rel).with_suffix(".py").is_file() or (
        PACKAGE_DIR / rel / "__init__.py").is_file() or candidate in WASM
    return candidate if exists else base


@pytest.mark.parametrize("module", sorted(RUNTIME))
def test_runtime_modules_import_only_the_runtime(module: str) -> None:
    outside = [(name, lazy) for name, lazy in pyshell_imports(module, RUNTIME[module])
               if name not in RUNTIME and name not in WASM]
    assert [name for name, lazy in outside if not lazy] == [], \
        f"{module} imports tooling at import time; add runtime modules to RUNTIME_MODULES"
    assert {(module, name) for name, _ in outside} <= LAZY_TOOLING, \
        f"{module} reaches tooling installed apps do not carry"


def test_every_listed_runtime_module_exists() -> None:
    for name in RUNTIME_MODULES:
        assert (PACKAGE_DIR / name).exists(), name
    assert "pyshell.installed" in RUNTIME and "pyshell.server" in RUNTIME


BLOCKER = """
import importlib.abc, sys
RUNTIME, WASM = set({runtime!r}), set({wasm!r})
TOOLS = ("watchdog", "pytest", "playwright", "pip")

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("pyshell.") and name not in RUNTIME and name not in WASM:
            raise ImportError(f"tooling imported by the runtime: {{name}}")
        if name.partition(".")[0] in TOOLS:
            raise ImportError(f"a tool imported by the runtime: {{name}}")
        return None

sys.meta_path.insert(0, Blocker())
import importlib
for name in sorted(RUNTIME):
    importlib.import_module(name)
print(len(RUNTIME))
"""


def test_the_runtime_imports_with_the_tooling_blocked() -> None:
    """Every runtime module really imports (not only per the parse above) in a process
    where any other pyshell module, and the dev tools, fail to import."""
    code = BLOCKER.format(runtime=sorted(RUNTIME), wasm=sorted(WASM))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(len(RUNTIME))]


def test_installed_apps_get_the_runtime_and_nothing_else(tmp_path: Path) -> None:
    copy_runtime(tmp_path / "pyshell")
    assert set(runtime_files(tmp_path / "pyshell")) == set(RUNTIME)
    shipped = {module_name(f, tmp_path / "pyshell")
               for f in (tmp_path / "pyshell").rglob("*.py") if "wasm_runtime" not in f.parts}
    assert shipped == set(RUNTIME)
    for tool in TOOLING:
        assert not (tmp_path / "pyshell" / tool).exists(), tool
    assert (tmp_path / "pyshell" / "wasm_runtime" / "loader.mjs").is_file()
    assert (tmp_path / "pyshell" / "wasm_runtime" / "python" / "pyshell" / "dom.py").is_file()
