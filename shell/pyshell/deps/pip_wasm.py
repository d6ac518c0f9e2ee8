"""``python -m pyshell.deps.pip_wasm MARKERS_JSON PIP_ARGS...``: pip, resolving for WebAssembly.

pip's ``--platform``/``--python-version`` choose wheel tags for another machine but still
evaluate environment markers (``sys_platform == "emscripten"``) against the host. This runs
pip unchanged except that markers see the target's values, so pip's own resolver decides.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    target_env = json.loads(sys.argv[1])
    from pip._vendor.packaging import markers

    if not callable(getattr(markers, "default_environment", None)):
        print("pyshell: this pip has no packaging.markers.default_environment; "
              "upgrade pip", file=sys.stderr)
        return 2
    markers.default_environment = lambda: dict(target_env)
    from pip._internal.cli.main import main as pip_main

    return pip_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
