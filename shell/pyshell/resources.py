"""Where pyshell's bundled data lives, in a source checkout and in an installed wheel.

A wheel puts ``wasm_runtime/`` and ``app_template/`` inside the package; a source or
editable checkout keeps them at the repository's top level (the package is shell/pyshell).
Everything else asks here.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    inside = _PACKAGE_DIR / name
    return inside if inside.is_dir() else _PACKAGE_DIR.parent.parent / name


WASM_RUNTIME_DIR: Path = _data_dir("wasm_runtime")
APP_TEMPLATE_DIR: Path = _data_dir("app_template")
WASM_PYTHON_DIR: Path = WASM_RUNTIME_DIR / "python"
WASM_PYTHON_PACKAGE: Path = WASM_PYTHON_DIR / "pyshell"
