"""The desktop around the app: web addresses open in the user's own browser.

The app's window always stays on the app. To show a web page, the app asks the host:

    from pyshell import shell

    await shell.open_url("https://example.com/help")

The host opens it only if the app declared it in ``pyproject.toml``:

    [tool.pyshell.permissions]
    open-urls = ["https://example.com/*"]

Anything else raises ``PermissionError`` (and the host prints one line saying so).
Clicked links to other origins go the same way, without any code.
"""

from __future__ import annotations

import json
from types import ModuleType


async def open_url(url: str) -> None:
    """Open ``url`` in the user's browser; PermissionError unless open-urls allows it."""
    if not isinstance(url, str):
        raise TypeError(f"open_url() takes a str, not {type(url).__name__}")
    answer = json.loads(await _js().openUrl(url))
    if "error" in answer:
        raise PermissionError(answer["error"])


def _js() -> ModuleType:
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise RuntimeError("pyshell.shell works inside a pyshell app") from None
    return _pyshell_js
