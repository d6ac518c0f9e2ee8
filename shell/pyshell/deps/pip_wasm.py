"""``python -m pyshell.deps.pip_wasm MARKERS_JSON PIP_ARGS...``: pip, resolving for WebAssembly.

pip's ``--platform``/``--python-version`` choose wheel tags for another machine but still
evaluate environment markers (``sys_platform == "emscripten"``) against the host. This runs
pip unchanged except that markers see the target's values, so pip's own resolver decides.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from pip._vendor.packaging import markers

    target_env: markers.Environment = json.loads(sys.argv[1])  # WasmTarget.markers()
    if not callable(getattr(markers, "default_environment", None)):
        print("pyshell: this pip has no packaging.markers.default_environment; "
              "upgrade pip", file=sys.stderr)
        return 2
    # A fresh copy each call, as pip's own: Marker.evaluate adds keys to the one it gets.
    markers.default_environment = lambda: target_env.copy()
    from pip._internal.cli.main import main as pip_main

    return pip_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
