"""Which web addresses an app may send the user to: ``[tool.pyshell.permissions] open-urls``.

The app's window never leaves the app's origin (``window`` blocks it in the engine, the
page's loader catches clicked links). A web address goes to the user's own browser
instead, and only if the app declared it:

    open-urls = ["https://example.com/*", "https://*.example.org/docs/*", "https://a.example/"]

A pattern is ``http(s)://HOST[:PORT]/PATH``. ``*.`` at the start of HOST matches any
subdomain (not the bare domain: list it too if wanted); a ``*`` at the end of PATH matches
any rest of the path, otherwise the path must be equal. Query and fragment of the opened
address are not looked at. Addresses with user names, dot segments or control characters
are never opened, whatever the patterns say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]|%2e|/\.\.?(/|$)", re.IGNORECASE)
EXAMPLE = '"https://example.com/*"'


@dataclass(frozen=True)
class UrlPattern:
    scheme: str
    host: str          # without the leading "*." of a subdomain pattern
    any_subdomain: bool
    port: int
    path: str          # without the trailing "*" of a prefix pattern
    prefix: bool

    def matches(self, url: SplitResult) -> bool:
        host = url.hostname or ""
        if self.any_subdomain:
            host_ok = host.endswith("." + self.host)
        else:
            host_ok = host == self.host
        path = url.path or "/"
        path_ok = path.startswith(self.path) if self.prefix else path == self.path
        return (url.scheme == self.scheme and host_ok and _port(url) == self.port
                and path_ok)


def parse_pattern(text: str) -> UrlPattern:
    """A pattern, or ValueError saying what is wrong with it (for config errors)."""
    if not isinstance(text, str) or _UNSAFE.search(text):
        raise ValueError(f"{text!r} is not a URL pattern like {EXAMPLE}")
    parts = urlsplit(text)
    host = parts.netloc.rpartition(":")[0] if _has_port(parts.netloc) else parts.netloc
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise ValueError(f"{text!r} must be an http:// or https:// pattern like {EXAMPLE}")
    if "@" in parts.netloc or parts.query or parts.fragment or "*" in parts.path[:-1]:
        raise ValueError(f"{text!r}: only a leading '*.' in the host and a trailing '*' in "
                         f"the path are wildcards; no user, query or fragment (e.g. {EXAMPLE})")
    if not _HOST.match(host.lower()):
        raise ValueError(f"{text!r}: {host!r} is not a host name")
    try:
        port = _port(parts)
    except ValueError:
        raise ValueError(f"{text!r}: bad port") from None
    path = parts.path or "/"
    return UrlPattern(parts.scheme, host.lower().removeprefix("*."), host.startswith("*."),
                      port, path.rstrip("*"), path.endswith("*"))


def allowed(url: str, patterns: tuple[UrlPattern, ...]) -> bool:
    """Whether ``url`` may be opened in the user's browser."""
    if not isinstance(url, str) or len(url) > 8192 or _UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            return False
        _port(parts)
    except ValueError:
        return False
    return any(pattern.matches(parts) for pattern in patterns)


def same_origin(url: str, origin: str) -> bool:
    """Whether ``url`` is on ``origin`` (``http://127.0.0.1:PORT``): where the window may go."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == origin and parts.username is None
    except ValueError:
        return False


def _has_port(netloc: str) -> bool:
    return ":" in netloc.rpartition("@")[2]


def _port(parts: SplitResult) -> int:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)


def printable(url: str, limit: int = 200) -> str:
    """A URL for one terminal line: shortened (control characters are escaped by the sink)."""
    return url if len(url) <= limit else url[:limit] + "…"
