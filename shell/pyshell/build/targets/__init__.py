"""Packaging targets: one module each, registered here by name."""

from __future__ import annotations

from typing import Protocol

from ..context import Context
from ..report import Artifact
from .aptrepo import AptRepo
from .briefcase import Dmg, Msi
from .deb import Deb
from .tarball import Tarball
from .update import Update
from .web import Web
from .workflow import Workflow


class Target(Protocol):
    name: str
    help: str

    def build(self, ctx: Context) -> list[Artifact]: ...


TARGETS: dict[str, Target] = {t.name: t for t in (Deb(), Tarball(), Web(), Workflow(), Msi(),
                                                  Dmg(), Update(), AptRepo())}
# What `pyshell build` makes with no --target, by the system it runs on.
DEFAULTS = {"linux": ("deb", "tarball", "web", "workflow"), "win32": ("msi", "web", "workflow"),
            "darwin": ("dmg", "web", "workflow")}
