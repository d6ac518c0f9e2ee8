"""Message, confirm and prompt boxes from the app's Python: ``await dialogs.confirm(...)``.

They are the window's own: the page asks its engine, which shows a native box in pyshell's
windows (a Qt message box, a GTK dialog) and the browser's in ``pyshell run --browser`` and
the web build. Each is awaited, so Python itself is not blocked while the user decides.
(File dialogs, which give grants, are in ``pyshell.files``.)
"""

from __future__ import annotations

from .dom import request


async def message(text: str) -> None:
    """Tell the user something; returns when they dismiss it."""
    await request(["ask", "alert", _text(text), None])


async def confirm(text: str) -> bool:
    """Ask a yes/no question: True for OK, False for Cancel (or the box closed)."""
    return bool(await request(["ask", "confirm", _text(text), None]))


async def prompt(text: str, default: str = "") -> str | None:
    """Ask for a line of text: what the user typed, or None if they cancelled."""
    answer = await request(["ask", "prompt", _text(text), str(default)])
    return None if answer is None else str(answer)


def _text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a dialog needs some text to show, not {text!r}")
    return text
