"""The platform-independent app bundle every target ships.

    pyproject.toml, pyshell-lock.json   the app's config and lock
    the file types' icons               where the config names them, so it loads there too
    ui/..., app/...                     its static UI and Python packages
    runtime/                            the Pyodide files a launch loads, nothing else
    wheels/                             the locked wheels, checked against the lock

Left out of ``runtime/``: ``package.json`` (npm's metadata; nothing loads it at run time)
and everything else in Pyodide's npm package (source maps, type stubs, the UMD build, the
REPL pages), which the cache never held.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..deps.lock import LOCK_NAME
from ..packages import Packages
from ..runtime import Runtime
from .files import copy_tree
from .project import Project

RUNTIME_SHIPPED = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                   "pyodide-lock.json")
RUNTIME_LEFT_OUT = {"package.json": "npm's metadata; nothing loads it at run time"}


def app_bundle(project: Project, rt: Runtime, packages: Packages, dest: Path) -> Path:
    app = project.app
    dest.mkdir(parents=True)
    shutil.copyfile(app.root / "pyproject.toml", dest / "pyproject.toml")
    if (app.root / LOCK_NAME).is_file():
        shutil.copyfile(app.root / LOCK_NAME, dest / LOCK_NAME)
    for folder in (app.ui_dir, *(app.root / p for p in app.packages)):
        copy_tree(folder, dest / folder.relative_to(app.root))
    for icon in {t.icon for t in app.file_types if t.icon is not None}:
        target = dest / icon.relative_to(app.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(icon, target)
    (dest / "runtime").mkdir()
    for name in RUNTIME_SHIPPED:
        shutil.copyfile(rt.file(name), dest / "runtime" / name)
    for name, path in sorted(packages.files.items()):
        (dest / "wheels").mkdir(exist_ok=True)
        shutil.copyfile(path, dest / "wheels" / name)
    return dest
