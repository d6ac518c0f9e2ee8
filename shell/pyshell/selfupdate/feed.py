"""The update feed: what an update site says is the newest version, signed with Ed25519.

``feed.json`` is ``{"signed": {...}, "signature": "BASE64"}``. The signature covers the
canonical bytes of the ``signed`` object (UTF-8 JSON, keys sorted, no spaces), so the
object read after the check is exactly the one that was signed, whatever the file's
spacing. ``read`` refuses anything not signed by the app's own key, meant for another
app, or not newer than what this install runs and has seen; ``check_file`` refuses a
download whose size or SHA-256 differs from what the feed lists. Each refusal is an
``UpdateRefused`` whose message is one line naming what failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from packaging.version import InvalidVersion, Version

FEED_NAME = "feed.json"
FORMAT = 1
MAX_FEED_BYTES = 1_000_000  # a feed is a few kB; more is not a feed
KINDS = ("app", "runtime")  # the app layer, and the Pyodide runtime it runs on
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")  # a plain name, never a path


class UpdateRefused(Exception):
    """An update that must not be applied; the message is one line saying why."""


class NothingNew(UpdateRefused):
    """The feed offers the version already running: nothing to do, nothing wrong."""


@dataclass(frozen=True)
class FileEntry:
    """One file of the update site, next to ``feed.json``."""

    name: str
    kind: str  # one of KINDS
    sha256: str  # hex
    size: int  # bytes


@dataclass(frozen=True)
class Feed:
    """One signed release of one app."""

    app: str  # the app's package name, so a feed for another app of the same key is refused
    version: str  # PEP 440
    pyshell: str  # the oldest pyshell host runtime the app layer runs on
    pyodide: str  # the Pyodide version its runtime archive holds and its wheels are built for
    notes: str  # release notes, Markdown
    files: tuple[FileEntry, ...]

    def file(self, kind: str) -> FileEntry:
        return next(f for f in self.files if f.kind == kind)

    def payload(self) -> dict[str, Any]:
        return {"format": FORMAT, "app": self.app, "version": self.version,
                "pyshell": self.pyshell, "pyodide": self.pyodide, "notes": self.notes,
                "files": [{"name": f.name, "kind": f.kind, "sha256": f.sha256, "size": f.size}
                          for f in self.files]}


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes a signature covers."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def document(feed: Feed, signature: bytes) -> bytes:
    """``feed.json``'s bytes: the signed object and its signature, indented for people."""
    doc = {"signed": feed.payload(), "signature": base64.b64encode(signature).decode("ascii")}
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read(data: bytes, public_key: str, app: str, running: str,
         seen: str | None = None) -> Feed:
    """The feed in ``data`` once its signature, app and version are checked.

    ``public_key``: the app's key (base64, ``[tool.pyshell.updates] public-key``);
    ``running``: the version this install runs; ``seen``: the newest version a feed has
    ever offered it. A feed at or below ``running`` is a downgrade (or the same release); one
    below ``seen`` is an old feed replayed to hold the app back.
    """
    payload = _verified(data, public_key)
    feed = _parse(payload)
    if feed.app != app:
        raise UpdateRefused(f"update feed: it is for app {feed.app!r}, not {app!r}")
    new = Version(feed.version)
    if new == _version(running, "running"):
        raise NothingNew(f"update feed: version {feed.version} is the running one")
    if new < Version(running):
        raise UpdateRefused(f"update feed: version {feed.version} is older than the "
                            f"running {running}; a downgrade or an old feed is never applied")
    if seen is not None and new < _version(seen, "seen"):
        raise UpdateRefused(f"update feed: version {feed.version} is older than {seen}, which "
                            "an earlier feed offered; an old feed replayed is never applied")
    return feed


def check_host(feed: Feed, pyshell: str) -> None:
    """Refuse an app layer built for a newer pyshell than the installed host runtime."""
    if Version(feed.pyshell) > _version(pyshell, "pyshell"):
        raise UpdateRefused(f"update {feed.version}: needs pyshell {feed.pyshell}, this install "
                            f"has {pyshell}; install the new version from its package")


def check_file(path: Path, entry: FileEntry) -> None:
    """Refuse a downloaded file whose size or SHA-256 is not the feed's."""
    size = path.stat().st_size
    if size != entry.size:
        raise UpdateRefused(f"update file {entry.name}: {size} bytes, the feed says "
                            f"{entry.size}; the download is incomplete or altered")
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    if digest != entry.sha256:
        raise UpdateRefused(f"update file {entry.name}: its SHA-256 is not the feed's; the "
                            "file was altered or damaged")


def _verified(data: bytes, public_key: str) -> dict[str, Any]:
    if len(data) > MAX_FEED_BYTES:
        raise UpdateRefused(f"update feed: {len(data)} bytes, more than a feed can be")
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UpdateRefused(f"update feed: not JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("signed"), dict) \
            or not isinstance(doc.get("signature"), str):
        raise UpdateRefused("update feed: not a signed feed (no 'signed' object and "
                            "'signature' string)")
    try:
        signature = base64.b64decode(doc["signature"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(signature, canonical(doc["signed"]))
    except (binascii.Error, ValueError, InvalidSignature):
        raise UpdateRefused("update feed: bad signature; it was not signed with this app's "
                            "key, or was altered after signing") from None
    payload: dict[str, Any] = doc["signed"]
    return payload


def _parse(payload: dict[str, Any]) -> Feed:
    """The signed object's fields, each checked (a signed feed from a future pyshell, or a
    buggy one, is refused by name rather than half-read)."""
    if payload.get("format") != FORMAT:
        raise UpdateRefused(f"update feed: format {payload.get('format')!r}; this pyshell "
                            f"reads format {FORMAT}")
    text = {k: _field(payload, k, str) for k in ("app", "version", "pyshell", "pyodide", "notes")}
    for key in ("version", "pyshell"):
        _version(text[key], key)
    files = _field(payload, "files", list)
    entries = tuple(_entry(item) for item in files)
    if sorted(e.kind for e in entries) != sorted(KINDS):
        raise UpdateRefused(f"update feed: 'files' must list one file of each kind "
                            f"({', '.join(KINDS)})")
    return Feed(text["app"], text["version"], text["pyshell"], text["pyodide"], text["notes"],
                entries)


def _entry(item: Any) -> FileEntry:
    if not isinstance(item, dict):
        raise UpdateRefused("update feed: each entry of 'files' must be an object")
    name, kind, digest = (_field(item, k, str) for k in ("name", "kind", "sha256"))
    size = _field(item, "size", int)
    if not _FILE_NAME.fullmatch(name) or name == FEED_NAME:
        raise UpdateRefused(f"update feed: file name {name!r} is not a plain file name")
    if kind not in KINDS or not re.fullmatch(r"[0-9a-f]{64}", digest) or size < 0:
        raise UpdateRefused(f"update feed: file {name!r} needs a kind ({', '.join(KINDS)}), "
                            "a hex SHA-256 and a size")
    return FileEntry(name, kind, digest, size)


def _field(table: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = table.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UpdateRefused(f"update feed: {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _version(text: str, what: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise UpdateRefused(f"update feed: {what} version {text!r} is not a valid "
                            "version") from None
