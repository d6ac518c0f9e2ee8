#!/usr/bin/env bash
# Set everything up (idempotent), check lint and types, build the docs, then run the whole
# test suite: unit, page (Playwright + Chromium), real-window (pywebview under Xvfb, Qt and
# GTK) and wheel tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k server
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
# The gate: any lint or type error fails the run before a test starts (settings in
# pyproject.toml; mypy checks shell/pyshell and wasm_runtime/python, strict).
"$ROOT/.venv/bin/ruff" check shell tests scripts
"$ROOT/.venv/bin/python" -m mypy
# The documentation site (docs/, mkdocs.yml) into site/, git-ignored: a broken link, a
# missing page or an API name that does not resolve is a warning, and a warning fails.
"$ROOT/.venv/bin/mkdocs" build --strict --quiet --site-dir "$ROOT/site"
# Two pytest workers (pytest-xdist), a test file each at a time: most of the suite waits on
# browsers, servers and subprocesses, so two files side by side take ~2/3 of the time.
# PYSHELL_TEST_WORKERS=0 runs everything in one process.
# pytest exits 5 when it collected nothing: that is a failure here too.
exec "$ROOT/.venv/bin/python" -m pytest -n "${PYSHELL_TEST_WORKERS:-2}" --dist loadfile "$@"
