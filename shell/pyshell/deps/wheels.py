"""The per-user wheel cache: files stored under their sha256, checked on every use."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .. import runtime
from ..errors import PyshellError
from .lock import LockedPackage


def cache_dir() -> Path:
    return runtime.cache_root() / "wheels"


def cached_path(pkg: LockedPackage) -> Path:
    return cache_dir() / pkg.sha256 / pkg.file_name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store(src: Path) -> tuple[Path, str]:
    """Copy a wheel into the cache under its own hash; returns (cached path, sha256)."""
    sha = sha256_of(src)
    dest = cache_dir() / sha / src.name
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=dest.parent)
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    return dest, sha


def check(pkg: LockedPackage) -> Path | None:
    """The cached wheel if present; a wheel whose bytes differ from the lock is refused."""
    path = cached_path(pkg)
    if not path.is_file():
        return None
    actual = sha256_of(path)
    if actual != pkg.sha256:
        raise PyshellError(
            f"{pkg.file_name}: sha256 {actual[:12]}… does not match pyshell-lock.json "
            f"({pkg.sha256[:12]}…); delete {path} to fetch it again, or run `pyshell lock`")
    return path


def is_pure(file_name: str) -> bool:
    """True for wheels any Python runs (``py3-none-any``): no compiled code inside."""
    _, _, _, tags = parse_wheel_filename(file_name)
    return all(t.abi == "none" and t.platform == "any" for t in tags)


def imports(path: Path) -> tuple[str, ...]:
    """Top-level import names a wheel provides (Pyodide's lock lists them per package)."""
    names: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            top, _, rest = member.partition("/")
            if top.endswith((".dist-info", ".data")):
                continue
            name = top if rest else re.sub(r"\..*$", "", top)
            if name.isidentifier() and (rest or top.endswith((".py", ".so"))):
                names.add(name)
    return tuple(sorted(names))


def requirement_names(requires_dist: list[str], markers: dict[str, str]) -> set[str]:
    """Names a package needs on the target, markers evaluated there (no extras)."""
    names: set[str] = set()
    for text in requires_dist:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is None or Marker(str(req.marker)).evaluate({**markers, "extra": ""}):
            names.add(canonicalize_name(req.name))
    return names
