"""``pyshell build``: stage every requested target, then move the results into place."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .. import appcode, permissions, runtime
from ..deps.service import prepare
from ..errors import PyshellError
from ..progress import Ticker
from . import project as projects
from .context import Context
from .report import Artifact
from .targets import DEFAULTS, TARGETS


def default_targets() -> tuple[str, ...]:
    return DEFAULTS.get(sys.platform, DEFAULTS["linux"])


def build(app_dir: Path | str, targets: list[str] | None = None,
          out: TextIO | None = None) -> list[Artifact]:
    """Build ``targets`` (default: what this system can make) into APP_DIR/dist."""
    out = out or sys.stderr
    names = list(dict.fromkeys(targets or default_targets()))
    for name in names:
        if name not in TARGETS:
            raise PyshellError(f"unknown target {name!r}; choose from {', '.join(TARGETS)}")
    project = projects.load(app_dir)
    for line in permissions.warnings(project.app):  # what the installed app will be granted
        print(line, file=out, flush=True)
    rt = runtime.ensure()
    appcode.check(project.app, rt.file("python_stdlib.zip"))
    packages = prepare(project.app, rt, out)
    stage = Path(tempfile.mkdtemp(prefix=".pyshell-build-", dir=project.app.root))
    try:
        ctx = Context(project, rt, packages, stage, project.app.root / "dist", out)
        artifacts: list[Artifact] = []
        for name in names:
            with Ticker(f"building {name}", out):
                artifacts += TARGETS[name].build(ctx)
        for staged, final in ctx.moves:
            _replace(staged, final)
        return artifacts
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _replace(staged: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.is_dir() and not final.is_symlink():
        shutil.rmtree(final)
    elif final.exists():
        final.unlink()
    os.replace(staged, final)
