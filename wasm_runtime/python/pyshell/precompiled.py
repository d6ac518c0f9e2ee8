"""The app's modules compiled ahead, carried in the start-up snapshot.

Right after a restore Python runs on the engine's baseline WebAssembly tier, where
compiling the template's 150-line ``main.py`` takes about 16 ms (unmarshalling the same
code: 0.3 ms). A snapshot holds no files, so ``.pyc`` files cannot carry over, but code
objects can: ``compile_tree`` compiles the modules under a folder (the app's, the locked
wheels') while the snapshot is made, and the import system then takes a compiled code
object whenever the source it reads has the same hash, and compiles as usual otherwise
(an edited file in ``pyshell dev``, a newer app).
"""

from __future__ import annotations

import hashlib
import sys
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import CodeType
from typing import Any

_code: dict[str, tuple[bytes, CodeType]] = {}
_compile = SourceFileLoader.source_to_code


def compile_tree(root: str) -> int:
    """Compile every module under ``root`` that is not imported yet; how many were."""
    imported = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    for path in sorted(Path(root).rglob("*.py")):
        name = str(path)
        if name in imported:
            continue
        data = path.read_bytes()
        try:
            code = compile(data, name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue  # the app reports it when it imports the module
        _code[name] = (hashlib.sha256(data).digest(), code)
    # typeshed's signature is narrower than ours, which passes every argument on as it came.
    SourceFileLoader.source_to_code = _source_to_code  # type: ignore[method-assign, assignment]
    return len(_code)


def _source_to_code(self: SourceFileLoader, data: bytes, path: Any, *args: Any,
                    **kwargs: Any) -> CodeType:
    ahead = _code.get(path) if isinstance(path, str) else None
    if ahead is not None and ahead[0] == hashlib.sha256(data).digest():
        return ahead[1]
    return _compile(self, data, path, *args, **kwargs)
