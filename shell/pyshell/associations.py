"""The files and URLs an app tells the OS it opens: ``[[tool.pyshell.file-types]]`` and
``url-schemes``.

These are declarations: the installers register them (the .deb's desktop entry and
shared-mime-info package, Briefcase's document types), and a launch hands the matching
files and URLs the OS passes on to the app's ``on_open``. A URL is data the user clicked
somewhere, never code: the app validates it before acting on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

from .errors import PyshellError

FILE_TYPE_KEYS = frozenset({"extensions", "mime-type", "description", "role", "icon"})
ROLES = ("viewer", "editor")
# Schemes the system or the browser already owns: an app claiming one would take over
# every link of that kind, so they are refused.
WELL_KNOWN_SCHEMES = frozenset({
    "about", "blob", "chrome", "data", "feed", "file", "ftp", "ftps", "geo", "git", "http",
    "https", "irc", "ircs", "javascript", "ldap", "magnet", "mailto", "news", "nntp", "sftp",
    "sip", "sips", "sms", "smb", "ssh", "tel", "telnet", "urn", "view-source", "ws", "wss",
    "xmpp",
})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")  # RFC 3986 section 3.1
_EXTENSION = re.compile(r"[A-Za-z0-9]+")  # what Briefcase accepts too
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"  # RFC 6838 restricted-name
_MIME = re.compile(rf"(application|audio|font|image|model|text|video)/{_NAME}")
_WHERE = "[[tool.pyshell.file-types]]"


@dataclass(frozen=True)
class FileType:
    """One kind of file the app opens from the file manager ("Open with")."""

    extensions: tuple[str, ...]  # lowercase, without the dot
    mime_type: str | None  # as declared; see ``mime``
    description: str  # the file manager's name for the type
    role: str = "viewer"  # "editor": the opened file is granted read-write
    icon: Path | None = None  # .png or .svg inside the app

    @property
    def editor(self) -> bool:
        return self.role == "editor"

    def mime(self, package: str) -> str:
        """The declared MIME type, or for an extension-only type a private one of the
        app's own, ``application/x-PACKAGE-EXT`` (RFC 2046's ``x-`` for unregistered
        types; Briefcase derives the same form)."""
        return self.mime_type or f"application/x-{package}-{self.extensions[0]}"


def file_types(tool: dict[str, Any], root: Path) -> tuple[FileType, ...]:
    """Validate ``[[tool.pyshell.file-types]]`` (``tool`` is the ``[tool.pyshell]`` table)."""
    entries = tool.get("file-types", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _error("must be an array of tables, each with extensions and/or mime-type")
    types = [_file_type(entry, root) for entry in entries]
    seen: set[str] = set()
    for ext in (e for t in types for e in t.extensions):
        if ext in seen:
            raise _error(f"extension {ext!r} is declared twice; list it in one file type")
        seen.add(ext)
    return tuple(types)


def url_schemes(tool: dict[str, Any]) -> tuple[str, ...]:
    """Validate ``[tool.pyshell] url-schemes``: lowercase, as the OS compares them."""
    value = tool.get("url-schemes", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PyshellError("pyproject.toml: [tool.pyshell] url-schemes must be a list of "
                           "scheme names such as [\"myapp\"]")
    for scheme in value:
        if not _SCHEME.fullmatch(scheme):
            raise PyshellError(f"pyproject.toml: [tool.pyshell] url-schemes: {scheme!r} is not "
                               "a URI scheme: a letter, then letters, digits, '+', '-' or '.' "
                               "(without ':' or '//')")
        if scheme.lower() in WELL_KNOWN_SCHEMES:
            raise PyshellError(f"pyproject.toml: [tool.pyshell] url-schemes: {scheme!r} belongs "
                               "to the system or the browser; use a scheme of the app's own, "
                               "such as its name")
    return tuple(dict.fromkeys(s.lower() for s in value))


def check_url(url: str, schemes: tuple[str, ...]) -> str:
    """``url`` when its scheme is one the app declared; otherwise a one-line error naming
    the key to add. The URL stays data: nothing here follows or decodes it."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in schemes:
        raise PyshellError(f"{url!r}: the app does not open {scheme or 'such'} URLs; declare "
                           f"url-schemes = [\"{scheme or 'myapp'}\"] in [tool.pyshell]")
    return url


def file_type_of(path: str | PurePath, types: tuple[FileType, ...]) -> FileType | None:
    """The declared type a file belongs to by its extension (how its grant is decided:
    read-write for an editor's type, read-only otherwise)."""
    ext = PurePath(path).suffix.lstrip(".").lower()
    return next((t for t in types if ext and ext in t.extensions), None)


def _file_type(entry: dict[str, Any], root: Path) -> FileType:
    for key in entry:
        if key not in FILE_TYPE_KEYS:
            raise _error(f"unknown key {key!r}; known keys: {', '.join(sorted(FILE_TYPE_KEYS))}")
    exts = entry.get("extensions", [])
    if not isinstance(exts, list) or not all(isinstance(e, str) for e in exts):
        raise _error("extensions must be a list such as [\"md\", \"markdown\"]")
    extensions = tuple(dict.fromkeys(e.removeprefix(".").lower() for e in exts))
    for ext in extensions:
        if not _EXTENSION.fullmatch(ext):
            raise _error(f"extension {ext!r} must be letters and digits only, such as \"md\"")
    mime = entry.get("mime-type")
    if mime is not None and (not isinstance(mime, str) or not _MIME.fullmatch(mime)):
        raise _error(f"mime-type {mime!r} is not a MIME type such as \"text/markdown\" or "
                     "\"application/x-myapp-doc\"")
    if not extensions and mime is None:
        raise _error("a file type needs extensions, a mime-type, or both")
    description = entry.get("description", f"{(extensions or (mime,))[0]} file")
    if not isinstance(description, str) or not description.strip():
        raise _error(f"description must be a non-empty string, got {description!r}")
    role = entry.get("role", "viewer")
    if role not in ROLES:
        raise _error(f"role must be \"viewer\" (files open read-only) or \"editor\" "
                     f"(read-write), got {role!r}")
    return FileType(extensions, mime, description.strip(), role, _icon(entry, root))


def _icon(entry: dict[str, Any], root: Path) -> Path | None:
    value = entry.get("icon")
    if value is None:
        return None
    if not isinstance(value, str) or PurePath(value).suffix.lower() not in (".png", ".svg"):
        raise _error(f"icon {value!r} must be a .png or .svg file in the app folder")
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise _error(f"icon {value!r} must be inside the app folder")
    if not path.is_file():
        raise _error(f"icon: {path} not found")
    return path


def _error(text: str) -> PyshellError:
    return PyshellError(f"pyproject.toml: {_WHERE} {text}")
