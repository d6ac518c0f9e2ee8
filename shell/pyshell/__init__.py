"""pyshell: ship Python desktop apps whose logic runs in Pyodide inside a native webview.

This package is the host side (native CPython). The API that app code imports inside
WebAssembly (``pyshell.dom``, ``pyshell.app``) lives in ``wasm_runtime/python/pyshell``;
it is added to this package's search path so the same ``import pyshell.dom`` works in the
editor, in host-side unit tests and inside the app's Pyodide.
"""

from __future__ import annotations

from .resources import WASM_PYTHON_PACKAGE

__version__ = "0.1.0"
__path__.append(str(WASM_PYTHON_PACKAGE))
