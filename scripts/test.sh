#!/usr/bin/env bash
# Set everything up (idempotent), check lint and types, then run the whole test suite: unit,
# page (Playwright + Chromium), real-window (pywebview under Xvfb, Qt and GTK) and wheel tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k server
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
# The gate: any lint or type error fails the run before a test starts (settings in
# pyproject.toml; mypy checks shell/pyshell and wasm_runtime/python, strict).
"$ROOT/.venv/bin/ruff" check shell tests scripts
"$ROOT/.venv/bin/python" -m mypy
# pytest exits 5 when it collected nothing: that is a failure here too.
exec "$ROOT/.venv/bin/python" -m pytest "$@"
