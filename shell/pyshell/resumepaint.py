"""Resume paint: a launch shows what the app showed when it was last used, at once.

Starting the app's Python takes a second or more; the page itself paints in a fraction of
that. So the page sends the host what it shows (its body's markup, with the values typed
into its fields) as the app runs and when it closes, and the next launch serves that
markup in place of the static body of ui/index.html: the first paint is the app, not a
loading state. The static body travels along (a ``<template>``); when the app's main()
has run, the page morphs itself into it and applies main()'s writes in the same task, so
the app starts from the page it knows, and the user sees no jump (see loader.mjs).

Kept per app, in its state folder (``~/.local/state/APP/resume/``, mode 0600), keyed by
the app's folder, version and a digest of its ui/ files: a changed UI is never shown from
an old picture. ``[tool.pyshell] resume-paint = false`` turns it off, for apps whose
screens must not be kept on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from .config import AppConfig

_BODY = re.compile(r"(<body\b[^>]*>)(.*)(</body\s*>)", re.IGNORECASE | re.DOTALL)
ORIGINAL_ID = "pyshell-original"  # the <template> holding the static body (loader.mjs)


class ResumeStore:
    """The last picture of one app's main window."""

    def __init__(self, app: AppConfig, root: Path | None = None) -> None:
        import platformdirs

        self._app = app
        base = root or platformdirs.user_state_path(app.name, appauthor=False) / "resume"
        folder = hashlib.sha256(str(app.root.resolve()).encode()).hexdigest()[:16]
        self.path = base / f"{folder}.json"

    def key(self) -> str:
        """What the picture is only good for: this version and these ui/ files."""
        digest = hashlib.sha256(self._app.version.encode())
        for path in sorted(p for p in self._app.ui_dir.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(self._app.ui_dir)).encode() + b"\0")
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def load(self) -> str | None:
        """The body markup kept for this UI, or None (none kept, another UI, damaged)."""
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("key") != self.key():
            return None
        body = kept.get("body")
        return body if isinstance(body, str) else None

    def save(self, body: str) -> None:
        """Keep ``body`` (private to the user; written whole or not at all)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"key": self.key(), "body": body}, fh)
        os.replace(temporary, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def resumed(page: str, body: str) -> str | None:
    """``page`` with ``body`` in place of its body's content and the static content kept
    in a template (in <head>, outside what is morphed); None if the page has no body."""
    found = _BODY.search(page)
    if found is None:
        return None
    original = f'<template id="{ORIGINAL_ID}">{found.group(2)}</template>'
    start, end = found.span(2)
    page = page[:start] + body + page[end:]
    head = re.search(r"</head\s*>", page, re.IGNORECASE)
    if head is None or head.start() > start:
        return None
    return page[:head.start()] + original + page[head.start():]
