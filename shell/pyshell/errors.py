"""The one exception type that means "the user must fix something".

The CLI prints its message as a single line and exits non-zero; anything else that
escapes is a pyshell bug and keeps its traceback.
"""

from __future__ import annotations


class PyshellError(Exception):
    """A user-facing error whose message already says what to fix."""
