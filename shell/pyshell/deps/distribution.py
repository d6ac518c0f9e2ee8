"""Pyodide's own package distribution (numpy, pandas, …) as a source of wheels.

The npm runtime carries no packages, so a Pyodide distribution folder or URL
(``[tool.pyshell] pyodide-packages``) supplies them. Its ``pyodide-lock.json`` says what is
in it; every wheel taken from it is checked against that lock and, for packages the
runtime's own lock also lists, against the runtime's hash, so a distribution built for
another Pyodide cannot slip in.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import URLError

from packaging.utils import canonicalize_name

from ..errors import PyshellError
from .target import WasmTarget
from .wheels import sha256_of

SETTING = "[tool.pyshell] pyodide-packages"


class Distribution:
    """A folder or URL laid out like Pyodide's release: ``pyodide-lock.json`` plus wheels."""

    def __init__(self, location: str, app_root: Path) -> None:
        self.location = location
        self._remote = location.startswith(("http://", "https://", "file://"))
        self._base = location.rstrip("/") if self._remote else str(app_root / location)
        self._packages: dict[str, dict[str, Any]] | None = None

    def packages(self) -> dict[str, dict[str, Any]]:
        if self._packages is None:
            data = json.loads(self._read("pyodide-lock.json"))
            self._info = data.get("info", {})
            self._packages = {canonicalize_name(k): v for k, v in data["packages"].items()}
        return self._packages

    def check_target(self, target: WasmTarget) -> None:
        self.packages()
        python = ".".join(str(self._info.get("python", "")).split(".")[:2])
        theirs = (self._info.get("abi_version"), python)
        if theirs != (target.abi_version, target.python_short):
            raise PyshellError(
                f"{SETTING}: {self.location} is built for Python {theirs[1]} / ABI "
                f"{theirs[0]}, but the runtime needs Python {target.python_short} / ABI "
                f"{target.abi_version}; point it at the matching Pyodide release")

    def __contains__(self, name: str) -> bool:
        return canonicalize_name(name) in self.packages()

    def closure(self, name: str) -> list[str]:
        """The package and everything its lock entry depends on, transitively."""
        packages = self.packages()
        seen: list[str] = []
        todo = [canonicalize_name(name)]
        while todo:
            current = todo.pop()
            if current in seen or current not in packages:
                continue
            seen.append(current)
            todo.extend(canonicalize_name(d) for d in packages[current].get("depends", []))
        return seen

    def fetch(self, name: str, dest: Path, runtime_packages: dict[str, Any]) -> Path:
        """Copy or download one wheel into ``dest`` and check it against both locks."""
        entry = self.packages()[canonicalize_name(name)]
        file_name = Path(entry["file_name"]).name
        target = dest / file_name
        if not target.is_file():
            with target.open("wb") as out:
                out.write(self._read(file_name))
        actual = sha256_of(target)
        expected = {entry.get("sha256")}
        pinned = runtime_packages.get(entry["name"]) or runtime_packages.get(name)
        if pinned and pinned.get("file_name") == entry["file_name"]:
            expected.add(pinned["sha256"])
        if expected != {actual}:
            target.unlink()
            raise PyshellError(f"{SETTING}: {file_name} from {self.location} has sha256 "
                               f"{actual[:12]}…, but the Pyodide lock says "
                               f"{sorted(e or '' for e in expected)[0][:12]}…; the "
                               "distribution is damaged or from another release")
        return target

    def source_of(self, file_name: str) -> str:
        return f"{self._base}/{file_name}"

    def _read(self, name: str) -> bytes:
        where = f"{self._base}/{name}"
        try:
            if self._remote:
                with urllib.request.urlopen(where, timeout=120) as response:  # noqa: S310
                    body: bytes = response.read()
                    return body
            return Path(where).read_bytes()
        except (OSError, URLError, ValueError) as exc:
            raise PyshellError(f"{SETTING}: cannot read {where} ({exc}); point it at a "
                               "Pyodide distribution (a folder or URL with "
                               "pyodide-lock.json)") from None

