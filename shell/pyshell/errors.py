"""The one exception type that means "the user must fix something".

The CLI prints its message as a single line and exits non-zero; anything else that
escapes is a pyshell bug and keeps its traceback.
"""

from __future__ import annotations


class PyshellError(Exception):
    """A user-facing error whose message already says what to fix."""


def stderr_line(text: str, fallback: str, *, marks: tuple[str, ...] = (), first: bool = False,
                limit: int = 300) -> str:
    """The one line of a failed command's stderr that says why, for a one-line error.

    Among the non-blank lines, those containing one of ``marks`` (all of them when none
    does, or no marks are given); the last of those, or the first with ``first``; at most
    ``limit`` characters. ``fallback`` when stderr has no words at all.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    marked = [ln for ln in lines if any(mark in ln for mark in marks)]
    chosen = marked or lines
    if not chosen:
        return fallback
    return (chosen[0] if first else chosen[-1])[:limit]
