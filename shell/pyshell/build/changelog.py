"""Release notes for one version: its section of the app's CHANGELOG.md.

A section is a Markdown heading that names the version (``## 0.2.0``, ``## [0.2.0] -
2026-11-30``, ``### v0.2.0``) and everything up to the next heading of the same or a
higher level; the heading itself is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

CHANGELOG_NAME = "CHANGELOG.md"
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def notes(root: Path, version: str) -> str | None:
    """The section's text; ``None`` when there is a changelog without a section for
    ``version``; ``""`` when there is no changelog at all."""
    path = root / CHANGELOG_NAME
    if not path.is_file():
        return ""
    names = re.compile(rf"(?<![\w.])v?{re.escape(version)}(?![\w.]|\.\d)")
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading and names.search(heading[2]):
            level = len(heading[1])
            end = next((j for j in range(i + 1, len(lines))
                        if (m := _HEADING.match(lines[j])) and len(m[1]) <= level), len(lines))
            return "\n".join(lines[i + 1:end]).strip()
    return None
