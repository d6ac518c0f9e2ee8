"""One request to the host through the worker's bridge, for pyshell's own modules.

The bridge's call takes and answers JSON text. An answer with an ``error`` is the host's
refusal, raised as the exception app code expects: ``PermissionError`` for what the app did
not declare (``permission``), ``RuntimeError`` for what this host cannot do at all
(``unavailable``: the web build, ``--browser``), ``ValueError`` for a request it got wrong.
"""

from __future__ import annotations

import json
from typing import Any


async def ask(call: str, request: dict[str, Any]) -> dict[str, Any]:
    """``await _pyshell_js.CALL(json)``, decoded; the host's refusal raised."""
    try:
        import _pyshell_js  # registered by worker.mjs (see _pyshell_js.pyi)
    except ImportError:
        raise RuntimeError(f"pyshell's {call} works inside a pyshell app") from None
    answer: dict[str, Any] = json.loads(await getattr(_pyshell_js, call)(json.dumps(request)))
    if "error" in answer:
        if answer.get("permission"):
            raise PermissionError(answer["error"])
        raise (RuntimeError if answer.get("unavailable") else ValueError)(answer["error"])
    return answer
