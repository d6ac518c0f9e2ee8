"""Host files from the app's Python: which grants exist, and dialogs that add more.

Inside a grant, use ordinary Python (``open``, ``pathlib``, ``os``, ``shutil``,
``sqlite3``): the grant's folder is mounted at its path, e.g. ``/data``. Outside the
grants there is only Pyodide's in-memory filesystem; no host file is reachable.

A dialog grant lasts for this session only and covers exactly what the user picked: a
picked file is reachable, its folder is not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GrantInfo:
    mount: str            # where it is in this Python's filesystem
    writable: bool
    file: str | None      # for a single-file grant, the one file name in ``mount``
    storage: str = "host"  # "host", or "browser" (web build: the browser's own storage)


@dataclass(frozen=True)
class Refused:
    mount: str            # a declared grant that is not mounted here
    reason: str


class DialogUnavailable(RuntimeError):
    """No native dialog here (``pyshell run --browser``, or a web build)."""


def grants() -> list[GrantInfo]:
    """Every grant mounted now: the declared ones, then those picked this session."""
    raw = json.loads(_js().grants())
    return [GrantInfo(g["mount"], bool(g["writable"]), g.get("file"), g.get("storage", "host"))
            for g in raw]


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


async def _dialog(kind: str, write: bool, name: str, types: Sequence[str]) -> str | None:
    request = json.dumps({"kind": kind, "write": write, "name": name, "types": list(types)})
    answer = json.loads(await _js().dialog(request))
    if "error" in answer:
        raise DialogUnavailable(answer["error"])
    picked = answer.get("picked")
    return picked["path"] if picked else None


def _js():
    try:
        import _pyshell_js  # type: ignore[import-not-found]
    except ImportError:
        raise DialogUnavailable("pyshell.files works inside a pyshell app") from None
    return _pyshell_js
