"""Files of grants as URLs the page can load: ``<img src>``, ``<video>``, CSS, ``fetch``.

The app asks for one (``pyshell.files.url``, a file operation); the host checks the file
as it checks every open (inside a grant, a regular file, no link on the way) and hands
back ``/_pyshell/file/TOKEN/NAME``: TOKEN is random (192 bits), NAME only there so the
engine and the user see a file name. A token maps to a grant and a path in it, nothing
else: the file is reached again through the grant at every request (``routes.grantfiles``),
so a URL is worth nothing once its grant goes or the app revokes it. The window's session
cookie is still needed (the guard), so only the app's own window can load it.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from .fileservice import FileService

PREFIX = "/_pyshell/file/"
MAX_URLS = 100_000  # live tokens per launch; the oldest go first past this


@dataclass(frozen=True)
class FileUrl:
    """What one token reaches: ``path`` inside grant ``grant``."""

    grant: str
    path: str


class FileUrls:
    """The tokens this launch handed out, each to one file in one grant."""

    def __init__(self, files: FileService) -> None:
        self._files = files
        self._urls: dict[str, FileUrl] = {}
        self._lock = threading.Lock()
        files.on_grant_removed(self.forget_grant)

    def mint(self, grant_id: str, path: str) -> str:
        """A new URL for ``path`` in the grant; the OSError of an ``open`` where the file
        cannot be read (ENOENT, EACCES outside a grant or through a link, EISDIR)."""
        fd, _ = self._files.open_reader(grant_id, path)
        os.close(fd)
        token = secrets.token_urlsafe(24)
        name = path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            if len(self._urls) >= MAX_URLS:
                del self._urls[next(iter(self._urls))]
            self._urls[token] = FileUrl(grant_id, path)
        return f"{PREFIX}{token}/{quote(name)}"

    def revoke(self, url: str) -> bool:
        """Forget the token of ``url`` (a whole URL, or its path): it serves nothing from
        now on. False if it was not live."""
        token = token_of(url)
        with self._lock:
            return self._urls.pop(token, None) is not None if token else False

    def forget_grant(self, grant_id: str) -> None:
        """A grant went: every URL into it with it."""
        with self._lock:
            for token in [t for t, u in self._urls.items() if u.grant == grant_id]:
                del self._urls[token]

    def lookup(self, token: str) -> FileUrl | None:
        with self._lock:
            return self._urls.get(token)

    def __len__(self) -> int:
        return len(self._urls)


def token_of(url: str) -> str | None:
    """The token in a file URL (absolute or a path), or None if it is not one."""
    path = unquote(url.split("://", 1)[-1])
    start = path.find(PREFIX)
    if start < 0:
        return None
    token = path[start + len(PREFIX):].split("/", 1)[0]
    return token or None
