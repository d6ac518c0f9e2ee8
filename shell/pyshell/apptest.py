"""``pyshell test``: an app's host tests and UI tests in one command.

Plain ``pytest`` in the app's folder already runs both (the pyshell plugin gives UI tests
their page); what it cannot do alone is import the app's own dependencies on the host.
This locks them if needed, installs the locked versions for the host (``deps.hostenv``)
and runs pytest with them and the app on ``sys.path``. The template's CI runs the same.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from . import config, runtime
from .deps import hostenv
from .deps import lock as lockfile
from .deps.service import prepare
from .errors import PyshellError


def run(app_dir: Path, pytest_args: list[str]) -> int:
    """pytest's exit status for the app's tests."""
    if importlib.util.find_spec("pytest") is None or importlib.util.find_spec("playwright") is None:
        raise PyshellError("pyshell test needs pytest and Playwright: "
                           "pip install 'pyshell[test]'")
    app = config.load(app_dir)
    prepare(app, runtime.ensure())  # locks when the dependencies changed
    lock = lockfile.read(app.root)
    deps = hostenv.ensure(lock) if lock is not None else None
    paths = [str(app.root), *([str(deps)] if deps else [])]
    inherited = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths + ([inherited] if inherited else []))}
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=app.root, env=env)
