#!/usr/bin/env bash
# Set everything up (idempotent), then run the demo: the template app in a real window.
# With no display it runs under Xvfb, saves a screenshot and closes by itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/python" "$ROOT/scripts/demo.py" "$@"
