"""The system clipboard from the app's Python: text, and HTML with a text fallback.

    from pyshell import clipboard

    await clipboard.write_text("copied")
    text = await clipboard.read_text()
    await clipboard.write_html("<b>bold</b>")   # plain text "bold" alongside
    html = await clipboard.read_html()          # None when the clipboard holds no HTML

The app declares what it does with the clipboard in ``pyproject.toml``, and the host
enforces it (a page that skips this module gains nothing):

    [tool.pyshell.permissions]
    clipboard = "read-write"   # or "read", or "write"

Anything undeclared raises ``PermissionError`` naming the line to add. The clipboard is
the window's: with ``pyshell run --browser`` each call raises ``RuntimeError``.
"""

from __future__ import annotations

import html
import json
import re
from types import ModuleType
from typing import Any


async def read_text() -> str:
    """The clipboard's plain text ("" when it holds none)."""
    return str((await _ask({"op": "read"}))["text"])


async def read_html() -> str | None:
    """The clipboard's HTML flavour, or None when what was copied has none."""
    found = (await _ask({"op": "read"}))["html"]
    return None if found is None else str(found)


async def write_text(text: str) -> None:
    """Put ``text`` on the clipboard (replacing whatever was there)."""
    await _ask({"op": "write", "text": _str("text", text), "html": None})


async def write_html(markup: str, text: str | None = None) -> None:
    """Put ``markup`` on the clipboard as HTML, with ``text`` as its plain-text flavour
    (default: the markup's text without its tags), for apps that paste only text."""
    markup = _str("markup", markup)
    plain = _plain(markup) if text is None else _str("text", text)
    await _ask({"op": "write", "text": plain, "html": markup})


async def _ask(request: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(await _js().clipboard(json.dumps(request)))
    if "error" in answer:
        if answer.get("permission"):
            raise PermissionError(answer["error"])
        raise RuntimeError(answer["error"])
    return answer


def _str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"the clipboard's {name} must be a str, not {type(value).__name__}")
    return value


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _js() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise RuntimeError("pyshell.clipboard works inside a pyshell app") from None
    return _pyshell_js
