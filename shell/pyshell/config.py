"""An app's ``pyproject.toml`` turned into frozen dataclasses.

Every validation error names the offending key, so a user sees one line such as
``pyproject.toml: [tool.pyshell.window] width must be an integer >= 100, got 'wide'``.
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from .associations import FileType, file_types, url_schemes
from .capabilities import check_mount, mounts_overlap
from .errors import PyshellError
from .urls import UrlPattern, parse_pattern

_ENTRY_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class WindowConfig:
    """How the native window opens."""

    title: str
    width: int = 960
    height: int = 720
    min_width: int = 360
    min_height: int = 320
    resizable: bool = True
    fullscreen: bool = False
    background: str = "#ffffff"
    # Seconds a close may take: Python finishes what it is doing, then the app's on_close
    # and on_quit handlers run; when the time is up the window closes anyway.
    quit_budget: float = 5.0
    # Reopen at the size, place and maximized state the window had when it last closed.
    remember: bool = True


@dataclass(frozen=True)
class FsPermission:
    """One declared grant: a host folder (placeholders allowed) mounted inside WebAssembly."""

    path: str
    mount: str
    writable: bool
    create: bool = False  # make the folder (and its parents) when it is missing
    # Where the grant was asked for, as a user would look for it: the table in
    # pyproject.toml, or ``pyshell run --grant`` for a folder chosen at launch.
    source: str = "[[tool.pyshell.permissions.fs]]"


@dataclass(frozen=True)
class UpdatesConfig:
    """``[tool.pyshell.updates]``: where an installed app looks for signed updates.

    ``url`` may be absent while a key exists (``pyshell keys new`` writes only the key);
    an installed app without it never checks.
    """

    public_key: str  # Ed25519, the 32 raw bytes in standard base64
    url: str | None = None  # the update site's folder; its feed is ``url/feed.json``
    check_every: int = 86400  # seconds between two checks at most


@dataclass(frozen=True)
class AppConfig:
    """Everything pyshell needs to know about one app."""

    root: Path
    name: str
    version: str
    entry: str
    ui_dir: Path
    packages: tuple[str, ...]
    window: WindowConfig
    permissions: tuple[FsPermission, ...] = ()
    # ``[project].dependencies`` as written (PEP 508), resolved for WebAssembly by ``deps``.
    dependencies: tuple[str, ...] = ()
    # Where Pyodide's own compiled packages come from: a folder (relative to the app) or URL.
    pyodide_packages: str | None = None
    # Start-up snapshots (see ``snapshots``), and the app's own modules to import into them.
    snapshot: bool = True
    snapshot_imports: tuple[str, ...] = ()
    # ``[tool.pyshell.permissions] open-urls``: web addresses the app may open in the
    # user's browser (validated patterns, see ``urls``).
    open_urls: tuple[str, ...] = ()
    # ``[tool.pyshell.updates]``: None when the app does not update itself.
    updates: UpdatesConfig | None = None
    # One running copy per user: a second launch hands its files and URLs to it
    # (``instance``). ``single-instance = false`` lets copies run side by side.
    single_instance: bool = True
    # ``[tool.pyshell.permissions] notifications``: the app may show desktop notifications.
    notifications: bool = False
    # ``[tool.pyshell.permissions] tray``: the app may show an icon in the desktop's tray.
    tray: bool = False
    # ``[tool.pyshell.permissions] drop``: files dropped on the window are grants,
    # read-only unless "rw".
    drop_writable: bool = False
    # ``[tool.pyshell.permissions] clipboard``: what the app may do with the clipboard.
    clipboard: frozenset[str] = frozenset()
    # ``[[tool.pyshell.file-types]]`` and ``url-schemes``: what the OS may open with the app
    # (see ``associations``).
    file_types: tuple[FileType, ...] = ()
    url_schemes: tuple[str, ...] = ()
    # ``[tool.pyshell] apt-url``: where the APT repository (``build --target apt-repo``) is
    # published, written into the ``.sources`` file users add once.
    apt_url: str | None = None
    # ``[tool.pyshell] resume-paint``: a launch first shows what the app showed last
    # (``resumepaint``); off for apps whose screens must not be kept on disk.
    resume_paint: bool = True

    @property
    def url_patterns(self) -> tuple[UrlPattern, ...]:
        return tuple(parse_pattern(p) for p in self.open_urls)

    @property
    def entry_module(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def entry_function(self) -> str | None:
        return self.entry.partition(":")[2] or None


def load(app_dir: Path | str) -> AppConfig:
    """Read and validate ``APP_DIR/pyproject.toml``."""
    root = Path(app_dir).resolve()
    path = root / "pyproject.toml"
    if not path.is_file():
        raise PyshellError(f"{path}: not found; run pyshell in an app folder or pass APP_DIR")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PyshellError(f"{path}: invalid TOML: {exc}") from None
    return parse(data, root)


def parse(data: dict[str, Any], root: Path) -> AppConfig:
    """Validate an already-parsed pyproject mapping (the file's folder is ``root``)."""
    project = _table(data, "project", "[project]")
    name = _string(project, "name", "[project]")
    version = _string(project, "version", "[project]", default="0.0.0")
    tool = _table(data.get("tool", {}), "pyshell", "[tool.pyshell]")
    _known_keys(tool, "[tool.pyshell]", TOOL_KEYS)
    entry = _string(tool, "entry", "[tool.pyshell]", default="app.main:main")
    if not _ENTRY_RE.match(entry):
        raise PyshellError(
            f"pyproject.toml: [tool.pyshell] entry must look like 'package.module:function', "
            f"got {entry!r}"
        )
    ui = _string(tool, "ui", "[tool.pyshell]", default="ui")
    ui_dir = _inside(root, ui, "[tool.pyshell] ui")
    if not (ui_dir / "index.html").is_file():
        raise PyshellError(f"pyproject.toml: [tool.pyshell] ui: {ui_dir / 'index.html'} not found")
    top = entry.split(".")[0].split(":")[0]
    packages = tuple(_string_list(tool, "packages", "[tool.pyshell]", default=[top]))
    for pkg in packages:
        _inside(root, pkg, "[tool.pyshell] packages")
    window = _window(_table(tool, "window", "[tool.pyshell.window]", required=False), name)
    permissions = _table(tool, "permissions", "[tool.pyshell.permissions]")
    perms = _permissions(permissions)
    open_urls = _open_urls(permissions)
    clipboard = _clipboard(permissions)
    deps = _dependencies(project)
    source = tool.get("pyodide-packages")
    if source is not None:
        source = _string(tool, "pyodide-packages", "[tool.pyshell]")
    snapshot = _bool(tool, "snapshot", "[tool.pyshell]", True)
    imports = tool.get("snapshot-imports", [])
    if not isinstance(imports, list) or not all(
            isinstance(m, str) and all(p.isidentifier() for p in m.split(".")) for m in imports):
        raise PyshellError("pyproject.toml: [tool.pyshell] snapshot-imports must be a list of "
                           "module names such as \"app.model\"")
    updates = _updates(tool) if "updates" in tool else None
    return AppConfig(root, name, version, entry, ui_dir, packages, window, perms, deps, source,
                     snapshot, tuple(imports), open_urls, updates,
                     single_instance=_bool(tool, "single-instance", "[tool.pyshell]", True),
                     notifications=_bool(permissions, "notifications",
                                         "[tool.pyshell.permissions]", False),
                     tray=_bool(permissions, "tray", "[tool.pyshell.permissions]", False),
                     drop_writable=_drop(permissions), clipboard=clipboard,
                     file_types=file_types(tool, root), url_schemes=url_schemes(tool),
                     apt_url=_apt_url(tool),
                     resume_paint=_bool(tool, "resume-paint", "[tool.pyshell]", True))


# Every key each table accepts (anything else is an error naming it); the documentation's
# configuration reference lists exactly these (tests/test_docs.py).
TOOL_KEYS = frozenset({"entry", "ui", "packages", "pyodide-packages", "snapshot",
                       "snapshot-imports", "icon", "window", "permissions", "updates",
                       "single-instance", "file-types", "url-schemes", "apt-url",
                       "resume-paint"})
WINDOW_KEYS = frozenset({"title", "width", "height", "min-width", "min-height", "resizable",
                         "fullscreen", "background", "quit-budget", "remember"})
PERMISSIONS_KEYS = frozenset({"fs", "open-urls", "notifications", "drop", "clipboard",
                              "tray"})
# ``clipboard = "..."``: what each declaration lets the app do.
CLIPBOARD_ACCESS = {"read": frozenset({"read"}), "write": frozenset({"write"}),
                    "read-write": frozenset({"read", "write"})}
FS_KEYS = frozenset({"path", "mount", "mode", "create"})
UPDATES_KEYS = frozenset({"url", "public-key", "check-every"})
_EVERY_UNITS = {"m": 60, "h": 3600, "d": 86400}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _known_keys(table: dict[str, Any], where: str, known: frozenset[str]) -> None:
    """A misspelt key would otherwise be ignored without a word."""
    for key in table:
        if key not in known:
            raise PyshellError(f"pyproject.toml: {where} unknown key {key!r}; "
                               f"known keys: {', '.join(sorted(known))}")


def _updates(tool: dict[str, Any]) -> UpdatesConfig:
    where = "[tool.pyshell.updates]"
    table = _table(tool, "updates", where)
    _known_keys(table, where, UPDATES_KEYS)
    if "public-key" not in table:
        raise PyshellError(f"pyproject.toml: {where} public-key is missing; run "
                           "`pyshell keys new` to make a key pair and write it")
    key = _string(table, "public-key", where)
    if not is_public_key(key):
        raise PyshellError(f"pyproject.toml: {where} public-key must be an Ed25519 public key "
                           f"(32 bytes in base64, as `pyshell keys new` writes it), got {key!r}")
    url = table.get("url")
    if url is not None and not _update_url(url):
        raise PyshellError(f"pyproject.toml: {where} url must be an https:// address (or "
                           f"http:// on localhost), the folder that holds feed.json; got {url!r}")
    every = _string(table, "check-every", where, default="1d")
    match = re.fullmatch(r"([1-9]\d{0,4})([mhd])", every)
    if match is None:
        raise PyshellError(f"pyproject.toml: {where} check-every must be a number and a unit, "
                           f"m (minutes), h (hours) or d (days), such as \"12h\"; got {every!r}")
    return UpdatesConfig(key, url, int(match[1]) * _EVERY_UNITS[match[2]])


def _apt_url(tool: dict[str, Any]) -> str | None:
    url = tool.get("apt-url")
    if url is not None and not _update_url(url):
        raise PyshellError("pyproject.toml: [tool.pyshell] apt-url must be an https:// address "
                           f"(or http:// on localhost), the folder the APT repository is "
                           f"published in; got {url!r}")
    return url if url is None else str(url)


def is_public_key(text: str) -> bool:
    """Whether ``text`` is 32 bytes in standard base64 (the form ``pyshell keys new`` writes)."""
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _update_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    if parts.query or parts.fragment or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


def _open_urls(table: dict[str, Any]) -> tuple[str, ...]:
    where = "[tool.pyshell.permissions] open-urls"
    value = table.get("open-urls", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PyshellError(f"pyproject.toml: {where} must be a list of URL patterns such as "
                           "\"https://example.com/*\"")
    for text in value:
        try:
            parse_pattern(text)
        except ValueError as exc:
            raise PyshellError(f"pyproject.toml: {where}: {exc}") from None
    return tuple(value)


def _drop(table: dict[str, Any]) -> bool:
    mode = table.get("drop", "ro")
    if mode not in ("ro", "rw"):
        raise PyshellError(f"pyproject.toml: [tool.pyshell.permissions] drop must be 'ro' or "
                           f"'rw', got {mode!r}")
    return bool(mode == "rw")


def _dependencies(project: dict[str, Any]) -> tuple[str, ...]:
    value = project.get("dependencies", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PyshellError("pyproject.toml: [project] dependencies must be a list of strings "
                           "such as \"attrs>=23\"")
    for text in value:
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]
            raise PyshellError(f"pyproject.toml: [project] dependencies: {text!r} is not a valid "
                               f"requirement ({reason}); write e.g. \"attrs>=23\"") from None
    return tuple(value)


def _permissions(table: dict[str, Any]) -> tuple[FsPermission, ...]:
    where = "[[tool.pyshell.permissions.fs]]"
    _known_keys(table, "[tool.pyshell.permissions]", PERMISSIONS_KEYS)
    entries = table.get("fs", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PyshellError(f"pyproject.toml: {where} must be an array of tables")
    perms: list[FsPermission] = []
    for entry in entries:
        _known_keys(entry, where, FS_KEYS)
        path = _string(entry, "path", where)
        mount = _string(entry, "mount", where)
        mode = _string(entry, "mode", where, default="ro")
        if mode not in ("ro", "rw"):
            raise PyshellError(f"pyproject.toml: {where} mode must be 'ro' or 'rw', got {mode!r}")
        try:
            check_mount(mount)
        except ValueError as exc:
            raise PyshellError(f"pyproject.toml: {where} {exc}") from None
        for other in perms:
            if mounts_overlap(mount, other.mount):
                raise PyshellError(f"pyproject.toml: {where} mount {mount!r} overlaps "
                                   f"{other.mount!r}; mounts must not nest")
        create = _bool(entry, "create", where, False)
        if create and mode != "rw":
            raise PyshellError(f"pyproject.toml: {where} create = true needs mode = \"rw\" "
                               f"(for {mount}): a read-only grant of a new, empty folder is "
                               "of no use")
        perms.append(FsPermission(path, mount, mode == "rw", create))
    return tuple(perms)

def _clipboard(table: dict[str, Any]) -> frozenset[str]:
    value = table.get("clipboard")
    if value is None:
        return frozenset()
    if not isinstance(value, str) or value not in CLIPBOARD_ACCESS:
        raise PyshellError("pyproject.toml: [tool.pyshell.permissions] clipboard must be "
                           f"\"read\", \"write\" or \"read-write\", got {value!r}")
    return CLIPBOARD_ACCESS[value]


def _window(table: dict[str, Any], name: str) -> WindowConfig:
    where = "[tool.pyshell.window]"
    _known_keys(table, where, WINDOW_KEYS)
    default = WindowConfig(title=name)
    return WindowConfig(
        title=_string(table, "title", where, default=name),
        width=_int(table, "width", where, default.width),
        height=_int(table, "height", where, default.height),
        min_width=_int(table, "min-width", where, default.min_width),
        min_height=_int(table, "min-height", where, default.min_height),
        resizable=_bool(table, "resizable", where, default.resizable),
        fullscreen=_bool(table, "fullscreen", where, default.fullscreen),
        background=_colour(table, "background", where, default.background),
        quit_budget=_seconds(table, "quit-budget", where, default.quit_budget),
        remember=_bool(table, "remember", where, default.remember),
    )


def _table(data: Any, key: str, where: str, required: bool = True) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        if required and key == "project":
            raise PyshellError(f"pyproject.toml: {where} table is missing; add name and version")
        return {}
    if not isinstance(value, dict):
        raise PyshellError(f"pyproject.toml: {where} must be a table")
    return value


def _string(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise PyshellError(f"pyproject.toml: {where} {key} is missing")
    if not isinstance(value, str) or not value.strip():
        raise PyshellError(f"pyproject.toml: {where} {key} must be a non-empty string, "
                           f"got {value!r}")
    return value


def _string_list(table: dict[str, Any], key: str, where: str, default: list[str]) -> list[str]:
    value = table.get(key, default)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PyshellError(f"pyproject.toml: {where} {key} must be a list of folder names")
    return value


def _int(table: dict[str, Any], key: str, where: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 10000:
        raise PyshellError(f"pyproject.toml: {where} {key} must be an integer from 100 to 10000, "
                           f"got {value!r}")
    return value


def _seconds(table: dict[str, Any], key: str, where: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise PyshellError(f"pyproject.toml: {where} {key} must be a number of seconds from "
                           f"0 (excluded) to 600, got {value!r}")
    return float(value)


def _bool(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise PyshellError(f"pyproject.toml: {where} {key} must be true or false, got {value!r}")
    return value


def _colour(table: dict[str, Any], key: str, where: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise PyshellError(f"pyproject.toml: {where} {key} must be a colour like '#ffffff', "
                           f"got {value!r}")
    return value


def _inside(root: Path, rel: str, where: str) -> Path:
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        raise PyshellError(f"pyproject.toml: {where} {rel!r} must be a folder inside the app")
    if not path.is_dir():
        raise PyshellError(f"pyproject.toml: {where} {rel!r}: folder {path} not found")
    return path
