"""Plain helpers for the tests, one module a concept; the fixtures stay in tests/conftest.py.

- ``kit.apps``: the one app factory (``write_app``), permission grants, and an app opened in
  Chromium on the real server (``open_app``, ``dev_session``, ``run_app_page``...).
- ``kit.procs``: the ``pyshell`` command line, its one-line errors, and the harnesses' findings.
- ``kit.display``: a private Xvfb display.
- ``kit.waits``: ``wait_until``, a poll on a condition instead of a fixed sleep.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
