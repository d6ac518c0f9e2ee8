"""Host files from the app's Python: which grants exist, and dialogs that add more.

Inside a grant, use ordinary Python (``open``, ``pathlib``, ``os``, ``shutil``,
``sqlite3``): the grant's folder is mounted at its path, e.g. ``/data``. Outside the
grants there is only Pyodide's in-memory filesystem; no host file is reachable.

A dialog grant lasts for this session only and covers exactly what the user picked: a
picked file is reachable, its folder is not.

Files in a grant behave as on a local disk: a plain ``write_text`` truncates and then
writes, as it does natively. To replace a file so that a crash leaves either the old or
the new content, use ``atomic_write``.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class GrantInfo:
    """One grant mounted now, as ``grants()`` lists it."""

    mount: str
    """Where it is in this Python's file system, e.g. ``"/data"``."""
    writable: bool
    """False for a read-only grant: every change is refused with ``PermissionError``."""
    file: str | None
    """For a single-file grant (a dialog pick), the one file name in ``mount``."""
    storage: str = "host"
    """``"host"``, ``"browser"`` (the web build: the browser's own storage), or ``"memory"``
    (a web build in a browser that keeps no storage: gone when the page closes)."""
    host_path: str | None = None
    """The host folder behind ``mount``, to tell the user where things are (``~`` for the
    home folder, e.g. ``"~/Documents/Journal"``); None for browser storage. Display only:
    files are reached through ``mount``."""


@dataclass(frozen=True)
class Refused:
    """A declared grant this build does not mount, and why (``refused()``)."""

    mount: str
    """The mount of a declared grant that is not mounted here."""
    reason: str
    """Why, in words for the user."""


class DialogUnavailable(RuntimeError):
    """No native dialog here (``pyshell run --browser``, or a web build)."""


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *,
                 encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves the old or the
    new content, never a mix: a temp file beside it, fsync, ``os.replace``, fsync of the
    folder. The file keeps its permission bits (a new one gets 0o644).
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fchmod(out.fileno(), _mode_of(target))
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _mode_of(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o644


def _fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def grants() -> list[GrantInfo]:
    """Every grant mounted now: the declared ones, then those picked this session."""
    raw = json.loads(_js().grants())
    return [GrantInfo(g["mount"], bool(g["writable"]), g.get("file"), g.get("storage", "host"),
                      g.get("hostPath"))
            for g in raw]


def host_path(path: str | os.PathLike[str]) -> str | None:
    """Where ``path`` (a path in a grant) is on the host, as text to show the user, e.g.
    ``files.host_path("/data/export.html")`` -> ``"~/Documents/Journal/export.html"``;
    None outside the host grants (in the web build, always None)."""
    return _host_path_in(grants(), path)


def _host_path_in(mounted: Sequence[GrantInfo], path: str | os.PathLike[str]) -> str | None:
    """``host_path`` among the grants given."""
    target = os.path.abspath(os.fspath(path))
    best: GrantInfo | None = None
    for grant in mounted:
        inside = target == grant.mount or target.startswith(grant.mount.rstrip("/") + "/")
        if grant.host_path is not None and inside and (
                best is None or len(grant.mount) > len(best.mount)):
            best = grant
    if best is None or best.host_path is None:
        return None
    rest = os.path.relpath(target, best.mount)
    if rest == ".":
        return best.host_path
    sep = "\\" if "\\" in best.host_path and "/" not in best.host_path else "/"  # Windows
    return best.host_path.rstrip(sep) + sep + rest.replace("/", sep)


def refused() -> list[Refused]:
    """Declared grants this build cannot mount (the web build: host folders), with why."""
    return [Refused(r["mount"], r["reason"]) for r in json.loads(_js().refused())]


async def pick_file(*, write: bool = False, types: Sequence[str] = ()) -> str | None:
    """Ask the user for an existing file; its path inside WebAssembly, or None if cancelled.

    ``types`` uses pywebview's format, e.g. ``["Text files (*.txt;*.md)"]``.
    """
    return await _dialog("open_file", write, "", types)


async def pick_folder(*, write: bool = False) -> str | None:
    """Ask the user for a folder, mounted read-only unless ``write``."""
    return await _dialog("open_folder", write, "", ())


async def save_file(suggested_name: str = "", *, types: Sequence[str] = ()) -> str | None:
    """Ask the user where to save; the chosen file is writable (it may not exist yet)."""
    return await _dialog("save_file", True, suggested_name, types)


async def download(name: str, data: bytes | str, *, types: Sequence[str] = ()) -> str | None:
    """Hand a file the app made (an export, a report) to the user, as a browser does.

    On the desktop a save dialog asks where (``name`` suggested) and the file is written
    there through the grant the answer gives; where there is no native dialog (the web
    build, ``pyshell run --browser``) it becomes the browser's download. Returns where it
    went, for telling the user: the host path, or ``name`` for a browser download; None
    if the user cancelled. Text is saved as UTF-8.
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"download name {name!r} must be a plain file name, e.g. 'report.csv'")
    content = data.encode() if isinstance(data, str) else bytes(data)
    try:
        path = await save_file(name, types=types)
    except DialogUnavailable:
        _js().download(name, content)
        return name
    if path is None:
        return None
    with open(path, "wb") as f:
        f.write(content)
        os.fsync(f.fileno())
    return host_path(path) or path


async def _dialog(kind: str, write: bool, name: str, types: Sequence[str]) -> str | None:
    request = json.dumps({"kind": kind, "write": write, "name": name, "types": list(types)})
    answer = json.loads(await _js().dialog(request))
    if "error" in answer:
        raise DialogUnavailable(answer["error"])
    picked = answer.get("picked")
    return picked["path"] if picked else None


def _js() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise DialogUnavailable("pyshell.files works inside a pyshell app") from None
    return _pyshell_js
