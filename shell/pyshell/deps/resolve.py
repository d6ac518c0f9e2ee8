"""Resolve requirements for WebAssembly with pip, filling in what pip alone cannot find.

pip resolves (with markers for the target, see ``pip_wasm``). When it stops at a package it
cannot find a wheel for, this module decides why, and either supplies a wheel and lets pip
try again, or explains in one line:

1. the package is in the configured Pyodide distribution: its wheels join pip's links;
2. it is one of Pyodide's compiled packages and no distribution is configured: say so;
3. it has an sdist that builds into a pure-Python wheel here: build it, add it;
4. otherwise it needs a compiled WebAssembly build nobody published: say so.

A dependency with no wheel can also surface as a version conflict: when the package that
needs it has several versions, pip tries them all and reports "Cannot install a==1 and
a==2 ...". The dependencies named in the conflict are then checked one by one, so the
missing one is handled as above and the error names the package that needs it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from ..errors import PyshellError, stderr_line
from ..runtime import PYODIDE_VERSION
from . import wheels
from .distribution import SETTING, Distribution
from .lock import LockedPackage
from .target import WasmTarget

_MISSING = re.compile(r"No matching distribution found for (\S+)(?: \(from ([^)\s]+)\))?")
_DEPENDS = re.compile(r"^\s*(\S+) \S+ depends on (.+?)\s*$", re.MULTILINE)
_MAX_PROBES = 8
_MAX_ROUNDS = 30
PYODIDE_BUILD_DOC = "docs: Dependencies, 'Packages with C or Rust extensions'"


@dataclass(frozen=True)
class _Candidate:
    name: str
    version: str
    url: str
    sha256: str | None
    requires: tuple[str, ...]


class Resolver:
    """One resolution: requirements in, locked packages (with wheels in the cache) out."""

    def __init__(self, target: WasmTarget, runtime_packages: dict[str, Any],
                 distribution: Distribution | None, work: Path, out: TextIO) -> None:
        self.target, self.runtime_packages = target, runtime_packages
        self.distribution, self.out = distribution, out
        self.links = work / "links"  # wheels pip may use besides its indexes
        self.links.mkdir(parents=True, exist_ok=True)
        self.work = work
        self._origin: dict[str, tuple[str, str]] = {}  # file name -> (origin, source)

    def resolve(self, requirements: list[str]) -> list[LockedPackage]:
        for _ in range(_MAX_ROUNDS):
            report, missing, needed_by = self._report(requirements)
            if report is not None:
                return self._lock(report)
            self._supply(missing, needed_by)
        raise PyshellError("dependency resolution did not settle; check [project].dependencies")

    # -- pip --------------------------------------------------------------------------

    def _pip(self, args: list[str], marker_env: bool) -> subprocess.CompletedProcess[str]:
        return pip([*args, "--find-links", str(self.links)], self.target, marker_env)

    def _report(self, requirements: list[str]) -> tuple[dict[str, Any] | None, str, str]:
        """pip's installation report, or None, the requirement pip found no wheel for and
        the package that needs it ("" for a requirement of the app itself)."""
        report = self.work / "report.json"
        # Not --quiet: on a conflict, pip names the dependencies involved only at INFO level.
        proc = self._pip(["install", "--dry-run", "--ignore-installed", "--progress-bar", "off",
                          "--report", str(report), *self.target.pip_args(), *requirements],
                         marker_env=True)
        if proc.returncode == 0:
            answer: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
            return answer, "", ""
        missing = _MISSING.search(proc.stderr)
        if missing is not None:
            return None, missing.group(1), _name_of(missing.group(2) or "")
        conflict = _DEPENDS.findall(proc.stdout + "\n" + proc.stderr)
        found = self._missing_in_conflict(conflict)
        if found is not None:
            return None, found[1], found[0]
        if conflict:
            raise PyshellError("pip could not resolve [project].dependencies for WebAssembly, "
                               "conflicting requirements: "
                               + "; ".join(f"{a} needs {b}" for a, b in conflict[:4]))
        raise PyshellError("pip could not resolve [project].dependencies for WebAssembly: "
                           + _first_error(proc.stderr))

    def _missing_in_conflict(self, conflict: list[tuple[str, str]]) -> tuple[str, str] | None:
        """(package, requirement) for the first dependency in pip's conflict that has no
        wheel for the target on its own, i.e. the conflict is really a missing package."""
        seen: set[str] = set()
        for parent, text in conflict:
            try:
                name = canonicalize_name(Requirement(text).name)
            except InvalidRequirement:
                continue
            if name in seen:
                continue
            seen.add(name)
            if len(seen) > _MAX_PROBES:
                break
            proc = self._pip(["install", "--dry-run", "--no-deps", "--ignore-installed",
                              "--quiet", *self.target.pip_args(), text], marker_env=True)
            if proc.returncode != 0 and _MISSING.search(proc.stderr):
                return _name_of(parent), text
        return None

    # -- when pip finds no wheel --------------------------------------------------------

    def _supply(self, text: str, needed_by: str = "") -> None:
        """Put a wheel for requirement ``text`` in the links folder, or say why none can be.

        ``needed_by``: the package that depends on it, named in the error ("" for the app)."""
        try:
            name = canonicalize_name(Requirement(text).name)
        except InvalidRequirement:
            raise PyshellError(f"pip: no matching distribution for {text}") from None
        # "jinja2 depends on markupsafe, which is ..." rather than "markupsafe is ...".
        subject = f"{needed_by} depends on {name}, which" if needed_by else name
        if self.distribution is not None and name in self.distribution:
            for dep in self.distribution.closure(name):
                path = self.distribution.fetch(dep, self.links, self.runtime_packages)
                self._origin[path.name] = ("pyodide", self.distribution.source_of(path.name))
            return
        if name in self.runtime_packages:
            raise PyshellError(
                f"{subject} is one of Pyodide's compiled packages (not on the package "
                f"index); set {SETTING} = \"<folder or URL of the Pyodide {PYODIDE_VERSION} "
                "distribution>\"")
        if self._build_sdist(text, name):
            return
        if self._exists_elsewhere(text):
            raise PyshellError(
                f"{subject} has C/Rust extensions and no WebAssembly wheel for "
                f"{self.target.platform_tag}; build one with pyodide-build ({PYODIDE_BUILD_DOC}) "
                "or pick a pure-Python alternative")
        if needed_by:
            raise PyshellError(f"{subject} is on none of the configured package indexes "
                               f"(required as {text!r}); check the package indexes")
        raise PyshellError(f"{name}: no such package on the configured package indexes "
                           f"(required as {text!r}); check [project].dependencies")

    def _exists_elsewhere(self, text: str) -> bool:
        """Whether pip finds the requirement for this host, i.e. only a native build exists."""
        return self._pip(["install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
                          text], marker_env=False).returncode == 0

    def _build_sdist(self, text: str, name: str) -> bool:
        """Build a wheel from the sdist; True if it came out pure Python (and was added)."""
        build = self.work / "build" / name
        proc = self._pip(["wheel", "--no-deps", "--no-binary", ":all:", "--quiet",
                          "--wheel-dir", str(build), text], marker_env=False)
        built = sorted(build.glob("*.whl")) if build.is_dir() else []
        if proc.returncode != 0 or not built or not wheels.is_pure(built[0].name):
            return False
        self.out.write(f"pyshell: built {built[0].name} from its sdist (no wheel published)\n")
        dest = self.links / built[0].name
        shutil.move(built[0], dest)
        self._origin[dest.name] = ("sdist", "built locally from the sdist of " + text)
        return True

    # -- report -> lock -----------------------------------------------------------------

    def _lock(self, report: dict[str, Any]) -> list[LockedPackage]:
        found = [_candidate(item) for item in report.get("install", [])]
        names = {c.name for c in found}
        local: dict[str, Path] = {}
        remote: list[_Candidate] = []
        for cand in found:
            path = _local_path(cand.url)
            (remote.append(cand) if path is None else local.setdefault(cand.name, path))
        downloaded = self._download(remote)
        locked = []
        for cand in found:
            path = local.get(cand.name) or downloaded[cand.name]
            cached, sha = wheels.store(path)
            if cand.sha256 and cand.sha256 != sha:
                raise PyshellError(f"{path.name}: sha256 {sha[:12]}… differs from the index's "
                                   f"{cand.sha256[:12]}…; retry, or check the index")
            origin, source = self._origin.get(path.name, ("index", cand.url))
            deps = wheels.requirement_names(list(cand.requires), self.target.markers()) & names
            locked.append(LockedPackage(cand.name, cand.version, path.name, sha, source,
                                        origin, tuple(sorted(deps)), wheels.imports(cached)))
        return locked

    def _download(self, cands: list[_Candidate]) -> dict[str, Path]:
        if not cands:
            return {}
        dest = self.work / "download"
        download(cands_to_lines(cands), dest, self.target, self.out, links=self.links)
        by_name: dict[str, Path] = {}
        for path in dest.glob("*.whl"):
            by_name[canonicalize_name(parse_wheel_filename(path.name)[0])] = path
        return by_name


def cands_to_lines(cands: list[_Candidate]) -> list[str]:
    return [f"{c.name}=={c.version}" + (f" --hash=sha256:{c.sha256}" if c.sha256 else "")
            for c in cands]


def pip(args: list[str], target: WasmTarget, marker_env: bool) -> subprocess.CompletedProcess[str]:
    """Run this Python's pip; ``marker_env`` makes markers evaluate for the target."""
    cmd = [sys.executable, "-m"]
    cmd += ["pyshell.deps.pip_wasm", json.dumps(target.markers())] if marker_env else ["pip"]
    return subprocess.run([*cmd, *args, "--disable-pip-version-check"], capture_output=True,
                          text=True, timeout=1800)


def download(lines: list[str], dest: Path, target: WasmTarget, out: TextIO,
             links: Path | None = None) -> None:
    """Fetch pinned wheels with pip, its hash checking on (every line carries a hash)."""
    dest.mkdir(parents=True, exist_ok=True)
    reqs = dest / "requirements.txt"
    reqs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.write(f"pyshell: downloading {len(lines)} wheel(s)…\n")
    extra = ["--find-links", str(links)] if links else []
    proc = pip(["download", "--no-deps", "--dest", str(dest), "--progress-bar", "off",
                *target.pip_args(), *extra, "-r", str(reqs)],
               target, marker_env=False)
    if proc.returncode != 0:
        raise PyshellError("could not download the locked wheels: " + _first_error(proc.stderr)
                           + "; check the network, or run `pyshell lock` again")


def _candidate(item: dict[str, Any]) -> _Candidate:
    meta, info = item["metadata"], item["download_info"]
    hashes = info.get("archive_info", {}).get("hashes", {})
    return _Candidate(canonicalize_name(meta["name"]), meta["version"], info["url"],
                      hashes.get("sha256"), tuple(meta.get("requires_dist", [])))


def _name_of(text: str) -> str:
    """The package name in pip's "(from jinja2==3.1)" or "jinja2", "" if none."""
    try:
        return canonicalize_name(Requirement(text).name) if text else ""
    except InvalidRequirement:
        return text


def _local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def _first_error(stderr: str) -> str:
    line = stderr_line(stderr, "no output", marks=("ERROR", "error:", "Error:"), first=True,
                       limit=300 + len("ERROR: "))
    return line.removeprefix("ERROR: ")[:300]
