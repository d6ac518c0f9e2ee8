"""Set one string key in one table of a TOML file, keeping every other byte as written.

pyshell has no TOML writer, and rewriting a user's ``pyproject.toml`` from parsed data
would drop their comments and layout. ``set_string`` edits the text: it replaces the
key's line when the table has it, adds the line under the table's header when the table
exists, or adds the table after the last one of its family (``[tool.pyshell...]``). The
result is parsed again and must equal the original data with only that key changed; any
layout this cannot edit safely (inline tables, dotted keys) is refused with a line saying
what to add by hand.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import PyshellError

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def set_string(path: Path, table: str, key: str, value: str) -> None:
    """``[table] key = "value"`` in the file at ``path``, written atomically."""
    text = path.read_bytes().decode("utf-8")  # bytes: keep the file's own line endings
    before = tomllib.loads(text)
    line = f"{key} = {json.dumps(value)}"
    edited = _edit(text.splitlines(keepends=True), table, key, line)
    expected = _with(before, [*table.split("."), key], value)
    try:
        ok = tomllib.loads(edited) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise PyshellError(f"{path}: cannot add the key without changing the file's meaning; "
                           f"add it by hand under [{table}]: {line}")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(edited.encode("utf-8"))
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)


def _edit(lines: list[str], table: str, key: str, line: str) -> str:
    headers = [(i, m[1]) for i, text in enumerate(lines) if (m := _HEADER.match(text))]
    own = next((i for i, name in headers if name == table), None)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if own is not None:
        end = next((i for i, _ in headers if i > own), len(lines))
        for i in range(own + 1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]) or re.match(
                    rf"^\s*\"{re.escape(key)}\"\s*=", lines[i]):
                lines[i] = line + newline
                return "".join(lines)
        lines.insert(own + 1, line + newline)
        return "".join(lines)
    family = ".".join(table.split(".")[:2])  # [tool.pyshell.updates] joins [tool.pyshell...]
    last = max((i for i, name in headers if name == family or name.startswith(family + ".")),
               default=None)
    block = [f"[{table}]{newline}", f"{line}{newline}"]
    if last is None:
        return _append(lines, block, newline)
    after = next((i for i, _ in headers if i > last), None)
    if after is None:
        return _append(lines, block, newline)
    while after > last + 1 and (not lines[after - 1].strip()
                                or lines[after - 1].lstrip().startswith("#")):
        after -= 1  # the comments and blank lines above the next header belong to it
    lines[after:after] = [newline, *block]
    return "".join(lines)


def _append(lines: list[str], block: list[str], newline: str) -> str:
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    return "".join([*lines, *([newline] if lines and lines[-1].strip() else []), *block])


def _with(data: dict[str, Any], keys: list[str], value: str) -> dict[str, Any]:
    """A copy of ``data`` with the nested key set."""
    out = dict(data)
    inner = out.get(keys[0], {}) if len(keys) > 1 else None
    out[keys[0]] = _with(inner if isinstance(inner, dict) else {}, keys[1:], value) \
        if len(keys) > 1 else value
    return out
