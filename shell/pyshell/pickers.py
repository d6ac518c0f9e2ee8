"""Grants the user gives at run time by picking a file or folder in a native dialog, or by
opening the app with it (``grant_opened``).

The dialog itself is the one edge: ``DialogProvider`` is pywebview's dialog in a real
window, anything else in tests. What was picked becomes a session-only grant mounted at
``/picked/N``; a picked file is a single-file grant, so its folder stays out of reach.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from .capabilities import Grant
from .fileservice import FileService

DialogKind = Literal["open_file", "open_folder", "save_file"]
DialogProvider = Callable[[DialogKind, str, Sequence[str]], Path | None]
KINDS: tuple[DialogKind, ...] = ("open_file", "open_folder", "save_file")


def pywebview_dialogs(window: Any) -> DialogProvider:
    """Native open/save/folder dialogs of a pywebview window (callable from any thread)."""

    def pick(kind: DialogKind, suggested: str, types: Sequence[str]) -> Path | None:
        import webview

        dialog = {"open_file": webview.FileDialog.OPEN, "open_folder": webview.FileDialog.FOLDER,
                  "save_file": webview.FileDialog.SAVE}[kind]
        result = window.create_file_dialog(dialog, save_filename=suggested,
                                           file_types=tuple(types))
        if not result:
            return None
        return Path(result if isinstance(result, str) else result[0])

    return pick


class Picker:
    """Turns a dialog's answer into a grant on the app's file service."""

    def __init__(self, files: FileService, provider: DialogProvider | None = None) -> None:
        self.files = files
        self.provider = provider
        self._numbers = itertools.count(1)

    def pick(self, kind: DialogKind, writable: bool, suggested: str = "",
             types: Sequence[str] = ()) -> dict[str, Any] | None:
        if kind not in KINDS:
            raise ValueError(f"unknown dialog {kind!r}")
        if self.provider is None:
            raise LookupError("file dialogs need the app's window (not available with --browser)")
        picked = self.provider(kind, suggested, types)
        if picked is None:
            return None
        picked = picked.resolve()
        number = next(self._numbers)
        mount = f"/picked/{number}"
        if kind == "open_folder":
            grant = Grant(f"p{number}", mount, picked, writable)
            path = mount
        else:
            grant = Grant(f"p{number}", mount, picked.parent, writable or kind == "save_file",
                          only=picked.name)
            path = f"{mount}/{picked.name}"
        self.files.add_grant(grant)
        return {"grant": grant.public(), "path": path}

    def grant_opened(self, host_path: Path, writable: bool = False, how: str = "opened"
                     ) -> dict[str, Any]:
        """A file (or folder) the user opened the app with or dropped on its window
        (``how``): a grant of that alone, at ``/opened/N`` (``/dropped/N``)."""
        number = next(self._numbers)
        mount = f"/{how}/{number}"
        if host_path.is_dir():
            grant, path = Grant(f"{how[0]}{number}", mount, host_path, writable), mount
        else:
            grant = Grant(f"{how[0]}{number}", mount, host_path.parent, writable,
                          only=host_path.name)
            path = f"{mount}/{host_path.name}"
        self.files.add_grant(grant)
        return {"grant": grant.public(), "path": path}
