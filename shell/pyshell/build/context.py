"""One build in progress: the app, its staged bundle and host code, and what gets moved out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..packages import Packages
from ..runtime import Runtime
from . import host, stage
from .project import Project
from .report import Artifact


@dataclass
class Context:
    project: Project
    runtime: Runtime
    packages: Packages
    stage: Path  # a temporary folder next to the output folder
    dist: Path  # where finished artifacts go
    out: TextIO
    moves: list[tuple[Path, Path]] = field(default_factory=list)  # (staged, final)
    _bundle: Path | None = None
    _host: Path | None = None

    def bundle(self) -> Path:
        """The platform-independent app bundle (made once, shared by the targets)."""
        if self._bundle is None:
            self.say("staging the app bundle")
            self._bundle = stage.app_bundle(self.project, self.runtime, self.packages,
                                            self.stage / "bundle")
        return self._bundle

    def host(self) -> Path:
        """pyshell's host code and its pure-Python dependencies, for installed apps."""
        if self._host is None:
            self.say("vendoring pyshell's host runtime")
            self._host = self.stage / "host"
            host.vendor(self._host, self.out)
        return self._host

    def emit(self, staged: Path, final: Path, artifact: Artifact) -> Artifact:
        """Move ``staged`` to ``final`` when the whole build has succeeded."""
        self.moves.append((staged, final))
        return artifact

    def say(self, text: str) -> None:
        self.out.write(f"pyshell: {text}…\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        """Something the build survives but a store or a checker will not."""
        self.out.write(f"pyshell: warning: {text}\n")
        self.out.flush()
