"""What an app is allowed: its declared folders (and those given at launch with ``pyshell
run --grant``) as the grants of one launch, and in words, a summary for ``pyshell build``
and warnings for grants far wider than an app's data.

Broad grants stay possible (a file manager needs ``{home}``), but nobody should get one
without a word: a grant of ``/``, of a folder holding the home folder, of the home folder
itself or of a system folder is named on the terminal at every launch and build.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from .capabilities import (
    Grant,
    build_grants,
    check_mount,
    mounts_overlap,
    resolve_placeholders,
    standard_folders,
)
from .config import AppConfig, FsPermission
from .errors import PyshellError

# Folders of the operating system (not the user's): granting them, or anything in them,
# hands the app the system's configuration, programs or devices.
SYSTEM_FOLDERS = tuple(Path(p) for p in (
    "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/boot", "/dev", "/proc",
    "/sys", "/var", "/root", "/opt", "/srv", "/run", "/snap", "/System", "/Library",
    "/Applications", "C:/Windows", "C:/Program Files", "C:/Program Files (x86)"))


def grants(app: AppConfig, folders: dict[str, Path] | None = None) -> list[Grant]:
    """The grants a launch of ``app`` starts with: its declared folders, placeholders
    resolved with ``folders`` (default: the user's own; tests pass stand-ins).

    Built by whoever launches the app and handed to the app server, which serves grants
    and never decides them. A grant that cannot be made is a one-line error."""
    declared = [(p.path, p.mount, p.writable, p.create) for p in app.permissions]
    if not declared:
        return []
    try:
        return build_grants(declared, app.root, folders or standard_folders(app.name))
    except (ValueError, OSError) as exc:
        filename = getattr(exc, "filename", None)
        where = f" {filename}" if filename else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PyshellError(f"pyproject.toml: [[tool.pyshell.permissions.fs]] {reason}{where}"
                           ) from None


def at_launch(app: AppConfig, specs: Sequence[tuple[str, bool]]) -> AppConfig:
    """``app`` with the folders given at launch added to its grants: ``specs`` are
    ``("MOUNT=PATH", writable)`` from ``pyshell run --grant``/``--grant-rw``.

    For trying an app on a folder of one's choosing without editing its pyproject.toml;
    such a grant is checked like a declared one (its mount, no nesting with any other)
    and must name a folder that exists (nothing is created for it)."""
    added = list(app.permissions)
    for spec, writable in specs:
        added.append(_launch_grant(spec, writable, added))
    return dataclasses.replace(app, permissions=tuple(added))


def _launch_grant(spec: str, writable: bool, taken: list[FsPermission]) -> FsPermission:
    option = "--grant-rw" if writable else "--grant"
    mount, sep, path = spec.partition("=")
    if not sep or not mount or not path:
        raise PyshellError(f"{option} {spec!r}: write it as MOUNT=PATH, e.g. "
                           f"{option} /photos=~/Pictures")
    try:
        check_mount(mount)
    except ValueError as exc:
        raise PyshellError(f"{option} {spec}: {exc}") from None
    for other in taken:
        if mounts_overlap(mount, other.mount):
            raise PyshellError(f"{option} {spec}: mount {mount!r} overlaps {other.mount!r} "
                               f"(from {other.source}); choose another mount")
    folder = Path(path).expanduser().resolve()
    if "{" in str(folder) or "}" in str(folder):  # a grant's path reads them as placeholders
        raise PyshellError(f"{option} {spec}: a folder whose path holds {{ or }} cannot be "
                           "granted ({ and } mark placeholders in grant paths); grant the "
                           "folder holding it")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise PyshellError(f"{option} {spec}: {folder} {what}")
    return FsPermission(str(folder), mount, writable, source=option)


def host_path(perm: FsPermission, app: AppConfig, folders: dict[str, Path]) -> Path | None:
    """The folder a grant names, resolved as the launch will (None if it cannot be)."""
    try:
        path = resolve_placeholders(perm.path, folders)
    except ValueError:
        return None
    return (path if path.is_absolute() else app.root / path).resolve()


def breadth(path: Path, home: Path) -> str | None:
    """Why a grant of ``path`` is broad, or None for an ordinary folder."""
    home = home.resolve()
    if path == Path(path.anchor):
        return "the whole file system"
    if path == home:
        return "your whole home folder"
    if home.is_relative_to(path):
        return "a folder holding your home folder"
    if path.is_relative_to(home):
        return None
    for system in SYSTEM_FOLDERS:
        if path == system or path.is_relative_to(system):
            return f"a system folder ({system.as_posix()})"
    return None


def warnings(app: AppConfig, folders: dict[str, Path] | None = None) -> list[str]:
    """One terminal line per broad grant of ``app``."""
    folders = folders or standard_folders(app.name)
    lines = []
    for perm in app.permissions:
        path = host_path(perm, app, folders)
        reason = breadth(path, folders["home"]) if path is not None else None
        if reason:
            mode = "read-write" if perm.writable else "read-only"
            lines.append(f"pyshell: warning: {app.name} is granted {reason}: path = "
                         f"{perm.path!r} ({path}, {mode} at {perm.mount}) in {perm.source}")
    return lines


def summary(app: AppConfig) -> list[str]:
    """The app's permissions in a few lines, as declared (placeholders kept)."""
    if not (app.permissions or app.open_urls or app.notifications or app.clipboard
            or app.tray):
        return ["permissions: none (no host files, no web addresses, no clipboard)"]
    lines = ["permissions:"]
    for perm in app.permissions:
        lines.append(f"  files  {perm.mount}  {'rw' if perm.writable else 'ro'}  "
                     f"<- {perm.path}")
    for pattern in app.open_urls:
        lines.append(f"  opens  {pattern}  in the user's browser")
    if app.notifications:
        lines.append("  shows  desktop notifications")
    if app.tray:
        lines.append("  shows  an icon in the desktop's tray")
    if app.clipboard:
        lines.append(f"  clipboard  {' and '.join(sorted(app.clipboard))}")
    lines.append("  plus files the user picks in a dialog (this session only)")
    return lines


def print_warnings(app: AppConfig, folders: dict[str, Path] | None = None) -> None:
    for line in warnings(app, folders):
        print(line, file=sys.stderr, flush=True)
