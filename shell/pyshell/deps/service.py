"""What the commands call: ``lock`` an app's dependencies, ``prepare`` them for a launch.

Tooling: `pyshell run/dev/lock/build` call it; installed apps never import it (they carry
their wheels, see ``installed``), and neither does the app server (it is handed ready
``Packages``)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from ..config import AppConfig
from ..errors import PyshellError
from ..packages import Packages
from ..progress import Ticker
from ..runtime import Runtime
from . import lock as lockfile
from . import wheels
from .distribution import Distribution
from .lock import LOCK_NAME, Lock, LockedPackage
from .resolve import Resolver, download
from .target import WasmTarget


def inputs(app: AppConfig, rt: Runtime) -> dict[str, Any]:
    """Everything a lock is made from; when any of it changes, the lock is stale."""
    return {"requirements": list(app.dependencies), "runtime": rt.version,
            "pyodide_packages": app.pyodide_packages}


def lock(app: AppConfig, rt: Runtime, out: TextIO | None = None) -> Lock:
    """Resolve ``[project].dependencies`` for the runtime's platform; write the lock."""
    out = out or sys.stderr
    if app.dependencies:
        _require_network("resolve [project].dependencies")
    target = WasmTarget.from_lock_info(rt.lock()["info"])
    started = time.monotonic()
    dist = Distribution(app.pyodide_packages, app.root) if app.pyodide_packages else None
    if dist is not None:
        dist.check_target(target)
    what = (f"resolving {len(app.dependencies)} requirement(s) for {target.platform_tag} "
            f"(Python {target.python_short})")
    with tempfile.TemporaryDirectory(prefix="pyshell-lock-") as work, Ticker(what, out):
        resolver = Resolver(target, rt.lock()["packages"], dist, Path(work), out)
        packages = resolver.resolve(list(app.dependencies)) if app.dependencies else []
    result = Lock(target.info(), inputs(app, rt), tuple(packages))
    result.write(app.root)
    size = sum(wheels.cached_path(p).stat().st_size for p in packages)
    for pkg in sorted(packages, key=lambda p: p.name):
        out.write(f"  {pkg.name} {pkg.version}  {_kb(wheels.cached_path(pkg))}  ({pkg.origin})\n")
    out.write(f"pyshell: locked {len(packages)} package(s), {size / 1024:.0f} KB, in "
              f"{time.monotonic() - started:.1f} s -> {LOCK_NAME}\n")
    return result


def prepare(app: AppConfig, rt: Runtime, out: TextIO | None = None) -> Packages:
    """The app's wheels for this launch: re-lock if stale, fetch missing, check every hash."""
    out = out or sys.stderr
    current = lockfile.read(app.root)
    if current is None and not app.dependencies:
        return Packages()
    if current is None or current.inputs != inputs(app, rt):
        why = "has no lock yet" if current is None else "dependencies changed since the lock"
        if os.environ.get("PYSHELL_OFFLINE") == "1":
            raise PyshellError(f"{app.name} {why} and PYSHELL_OFFLINE=1; run `pyshell lock` "
                               "once while online")
        out.write(f"pyshell: {app.name} {why}; locking\n")
        current = lock(app, rt, out)
    missing = [p for p in current.packages if wheels.check(p) is None]
    if missing:
        _fetch(missing, app, rt, out)
    files = {p.file_name: wheels.cached_path(p) for p in current.packages}
    for pkg in current.packages:
        wheels.check(pkg)  # what was just fetched must match the lock too
    return Packages(current, files)


def _fetch(missing: list[LockedPackage], app: AppConfig, rt: Runtime, out: TextIO) -> None:
    _require_network(f"fetch {len(missing)} locked wheel(s) missing from the cache")
    built = [p.name for p in missing if p.origin == "sdist"]
    if built:
        raise PyshellError(f"{built[0]} was built from source when the app was locked and is "
                           "not in this machine's cache; run `pyshell lock`")
    target = WasmTarget.from_lock_info(rt.lock()["info"])
    with tempfile.TemporaryDirectory(prefix="pyshell-fetch-") as work:
        dest = Path(work)
        from_dist = [p for p in missing if p.origin == "pyodide"]
        if from_dist:
            if not app.pyodide_packages:
                raise PyshellError(f"{from_dist[0].name} comes from a Pyodide distribution; "
                                   "set [tool.pyshell] pyodide-packages again")
            dist = Distribution(app.pyodide_packages, app.root)
            for pkg in from_dist:
                wheels.store(dist.fetch(pkg.name, dest, rt.lock()["packages"]))
        pinned = [f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in missing
                  if p.origin == "index"]
        if pinned:
            download(pinned, dest / "index", target, out)
            for path in (dest / "index").glob("*.whl"):
                wheels.store(path)


def _require_network(what: str) -> None:
    if os.environ.get("PYSHELL_OFFLINE") == "1":
        raise PyshellError(f"cannot {what} with PYSHELL_OFFLINE=1; run it once while online")


def _kb(path: Path) -> str:
    return f"{path.stat().st_size / 1024:.0f} KB"
