"""Text from the app on the user's terminal, made harmless.

The app's ``print()`` output, its tracebacks and anything the page reports reach the
terminal that ran pyshell. A terminal obeys control characters: ``ESC ] 0 ; ... BEL``
retitles it, other sequences move the cursor, rewrite earlier lines, or on some
terminals worse. So every control character except newline and tab is shown as visible
text (``\\x1b``) instead of being sent raw.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TextIO

# C0 (but \t and \n), DEL and C1: what terminals interpret rather than print.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Where the app's output goes: ``sink(stream, text)``, stream "stdout" or "stderr".
LogSink = Callable[[str, str], None]


def safe(text: str) -> str:
    """``text`` with its control characters (but newline and tab) as visible escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def print_sink(stdout: TextIO | None = None, stderr: TextIO | None = None) -> LogSink:
    """Forward the app's print() and tracebacks to this process's terminal, made safe."""

    def sink(stream: str, text: str) -> None:
        out = (stderr or sys.stderr) if stream == "stderr" else (stdout or sys.stdout)
        text = safe(text)
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()

    return sink
