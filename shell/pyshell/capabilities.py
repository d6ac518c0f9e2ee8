"""Grants: which host folders (or single files) the app's Python may reach, and how.

Containment never relies on comparing path strings. A path inside a grant arrives as a
list of names; each name is checked on its own, and the host path is walked one folder at
a time with ``O_NOFOLLOW`` relative to the previous folder's descriptor (``Walk``), so a
symlink (placed by anyone, at any time) cannot lead outside. Hosts without openat-style
calls (Windows) walk checked paths instead: see ``containment.py``. Symlinks inside grants
are not followed at all. The WebAssembly side is never trusted: every check happens here.
"""

from __future__ import annotations

import errno
import os
import re
import stat as stat_mod
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Self

MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_WINDOWS_BAD_CHARS = set('<>:"|?*\\') | {chr(c) for c in range(32)}
# Mount points the app cannot take: they would hide Pyodide's own files or the app's code.
_RESERVED_MOUNTS = ("/lib", "/home/pyodide", "/dev", "/proc", "/tmp", "/bin", "/usr")


class AccessDenied(OSError):
    """A path that would leave its grant, or a write to a read-only grant."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EACCES, reason)


@dataclass(frozen=True)
class Grant:
    """One capability: ``root`` on the host, visible at ``mount`` inside WebAssembly."""

    id: str
    mount: str
    root: Path
    writable: bool
    only: str | None = None  # a single-file grant: the one name allowed in ``root``

    def public(self) -> dict[str, object]:
        """What the page may know: the host path only as text to show the user
        (``hostPath``, see ``display_path``); file operations never take a host path."""
        return {"id": self.id, "mount": self.mount, "writable": self.writable,
                "file": self.only, "hostPath": display_path(self.root)}


def display_path(path: Path) -> str:
    """A host folder as the user would write it: ``~/Documents/Journal`` for a folder in
    the home folder, the absolute path otherwise. For showing only, never for reaching."""
    try:
        rel = path.relative_to(Path.home())
    except (ValueError, RuntimeError):  # elsewhere, or no home folder known
        return str(path)
    return "~" if rel == Path() else f"~{os.sep}{rel}"


def check_mount(mount: str) -> str:
    """A mount point must be an absolute, normalised path that hides nothing of Pyodide's."""
    pure = PurePosixPath(mount)
    if not pure.is_absolute() or str(pure) != mount or mount == "/" or ".." in pure.parts:
        raise ValueError(f"mount must be an absolute path like '/data', got {mount!r}")
    for reserved in _RESERVED_MOUNTS:
        if mount == reserved or mount.startswith(reserved + "/"):
            raise ValueError(f"mount {mount!r} would hide {reserved}; choose another, e.g. /data")
    return mount


def mounts_overlap(a: str, b: str) -> bool:
    """Two mounts that are the same or nest: one grant would hide (part of) the other."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def split(rel: str) -> list[str]:
    """Names of a path relative to a grant's root; refuses anything that is not a plain name.

    Empty segments (``a//b``, a leading ``/``) are dropped: the path is relative either way.
    """
    if not isinstance(rel, str):
        raise AccessDenied("path must be a string")
    parts = [p for p in rel.split("/") if p != ""]
    if len("/".join(parts).encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise OSError(errno.ENAMETOOLONG, "path too long")
    for name in parts:
        check_name(name)
    return parts


def check_name(name: str) -> None:
    if not isinstance(name, str) or name in ("", ".", ".."):
        raise AccessDenied(f"not a plain name: {name!r}")
    if "/" in name or "\0" in name:
        raise AccessDenied(f"not a plain name: {name!r}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise AccessDenied("name is not valid UTF-8") from None
    if len(encoded) > MAX_NAME_BYTES:
        raise OSError(errno.ENAMETOOLONG, "name too long")
    if os.name == "nt":
        stem = unicodedata.normalize("NFKC", name)
        if (_WINDOWS_RESERVED.match(stem) or set(name) & _WINDOWS_BAD_CHARS
                or name.endswith((" ", "."))):
            raise AccessDenied(f"{name!r} is reserved on Windows")


class Walk:
    """An open descriptor of the folder that holds the target name, found without symlinks."""

    def __init__(self, grant: Grant, parts: list[str]) -> None:
        check_single_file(grant, parts)
        self.name = parts[-1] if parts else None
        self.fd = os.open(grant.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for part in parts[:-1]:
                self._enter(part)
        except BaseException:
            os.close(self.fd)
            raise

    def _enter(self, part: str) -> None:
        fd = open_nofollow(part, os.O_RDONLY | os.O_DIRECTORY, self.fd)
        os.close(self.fd)
        self.fd = fd

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def check_single_file(grant: Grant, parts: list[str]) -> None:
    """A single-file grant reaches its file and the (made-up) folder around it, nothing else."""
    if grant.only is not None and parts not in ([], [grant.only]):
        raise AccessDenied("outside a single-file grant")


def open_nofollow(name: str, flags: int, dir_fd: int, mode: int = 0o666) -> int:
    """``os.open`` relative to ``dir_fd`` that refuses a symlink with EACCES, whatever it is."""
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and _is_symlink(name, dir_fd):
            raise AccessDenied("symlinks are not followed") from None
        raise


def _is_symlink(name: str, dir_fd: int) -> bool:
    try:
        return stat_mod.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def build_grants(permissions: list[tuple[str, str, bool, bool]], app_root: Path,
                 folders: dict[str, Path]) -> list[Grant]:
    """Grants for declared ``(path, mount, writable, create)`` entries. A missing folder is
    made when ``create`` says so, and always for ``{appdata}`` (the app's own)."""
    grants = []
    for index, (path, mount, writable, create) in enumerate(permissions):
        root = resolve_placeholders(path, folders)
        root = (root if root.is_absolute() else app_root / root).resolve()
        if create or "{appdata}" in path:
            root.mkdir(parents=True, exist_ok=True)
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"the path for {mount} is a file, not a "
                                     "folder (grant its folder, or pick the file in a dialog)",
                                     str(root))
        if not root.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"folder for {mount} not found (add "
                                    "create = true to make it)", str(root))
        grants.append(Grant(f"g{index}", mount, root, writable))
    return grants


def resolve_placeholders(path: str, folders: dict[str, Path]) -> Path:
    """Expand ``{appdata}``, ``{documents}``, ``{home}``, ``{temp}`` (see ``standard_folders``)."""
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in folders:
            raise ValueError(f"unknown placeholder {{{key}}}; known: "
                             + ", ".join("{" + k + "}" for k in sorted(folders)))
        return str(folders[key])

    return Path(re.sub(r"\{([a-z_]+)\}", sub, path)).expanduser()


def standard_folders(app_name: str) -> dict[str, Path]:
    """The user's standard folders for this OS (platformdirs), keyed by placeholder name."""
    import tempfile

    import platformdirs

    return {
        "appdata": platformdirs.user_data_path(app_name, appauthor=False),
        "documents": platformdirs.user_documents_path(),
        "home": Path.home(),
        "temp": Path(tempfile.gettempdir()),
    }
