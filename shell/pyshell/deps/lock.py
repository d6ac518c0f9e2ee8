"""``pyshell-lock.json``: the app's resolved dependencies, in Pyodide's own lock-file schema.

The file has the layout of Pyodide's ``pyodide-lock.json`` (``info`` + ``packages``, one
entry per wheel with ``file_name``, ``sha256``, ``depends`` and ``imports``), so Pyodide's
package loader reads it as is. pyshell's own data sits under ``tool.pyshell``: per package
the URL the wheel came from, and for the file the inputs it was made from, which is how a
stale lock is noticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..errors import PyshellError

LOCK_NAME = "pyshell-lock.json"
FORMAT = 1


@dataclass(frozen=True)
class LockedPackage:
    """One wheel, pinned by name, version and sha256."""

    name: str
    version: str
    file_name: str
    sha256: str
    source: str  # where the wheel was fetched from (URL or path)
    origin: str = "index"  # "index" (pip), "pyodide" (a Pyodide distribution) or "sdist"
    depends: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()

    def pyodide_entry(self) -> dict[str, Any]:
        """The entry as Pyodide's loader expects it in a lock file."""
        return {"name": self.name, "version": self.version, "file_name": self.file_name,
                "install_dir": "site", "sha256": self.sha256, "package_type": "package",
                "imports": list(self.imports), "depends": list(self.depends),
                "unvendored_tests": False}


@dataclass(frozen=True)
class Lock:
    """A whole lock: the target it was resolved for, its inputs, and the packages."""

    info: dict[str, str]
    inputs: dict[str, Any]
    packages: tuple[LockedPackage, ...] = field(default=())

    def to_json(self) -> str:
        packages = {}
        for pkg in sorted(self.packages, key=lambda p: p.name):
            entry = pkg.pyodide_entry()
            entry["tool"] = {"pyshell": {"source": pkg.source, "origin": pkg.origin}}
            packages[pkg.name] = entry
        data = {"info": self.info, "packages": packages,
                "tool": {"pyshell": {"format": FORMAT, **self.inputs}}}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def pyodide_lock(self) -> dict[str, Any]:
        """What the page's Pyodide loads: the same entries without pyshell's own keys."""
        return {"info": self.info,
                "packages": {p.name: p.pyodide_entry() for p in self.packages}}

    def write(self, app_root: Path) -> Path:
        path = app_root / LOCK_NAME
        tmp = path.with_name(f".{LOCK_NAME}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path


def read(app_root: Path) -> Lock | None:
    """The app's lock, or None when it has none; a damaged lock is a one-line error."""
    path = app_root / LOCK_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        inputs = dict(data["tool"]["pyshell"])
        if inputs.pop("format") != FORMAT:
            raise ValueError("unknown format")
        packages = tuple(_package(entry) for entry in data["packages"].values())
        return Lock(dict(data["info"]), inputs, packages)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PyshellError(f"{path}: not a pyshell lock file ({exc}); delete it and run "
                           "`pyshell lock`") from None


def _package(entry: dict[str, Any]) -> LockedPackage:
    own = entry["tool"]["pyshell"]
    return LockedPackage(name=canonicalize_name(entry["name"]), version=str(entry["version"]),
                         file_name=str(entry["file_name"]), sha256=str(entry["sha256"]),
                         source=str(own["source"]), origin=str(own["origin"]),
                         depends=tuple(entry.get("depends", ())),
                         imports=tuple(entry.get("imports", ())))
