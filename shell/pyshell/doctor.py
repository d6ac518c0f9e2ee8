"""`pyshell doctor`: what this machine has for running pyshell apps, and what is missing."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from . import engines, runtime


@dataclass(frozen=True)
class Report:
    runtime_version: str
    runtime_path: str
    runtime_cached: bool
    npm: str | None
    engines: tuple[engines.EngineStatus, ...]

    @property
    def ok(self) -> bool:
        return (self.runtime_cached or self.npm is not None) and any(
            e.usable for e in self.engines)

    def lines(self) -> list[str]:
        state = "cached" if self.runtime_cached else "not fetched yet (pyshell runtime fetch)"
        out = [f"runtime   Pyodide {self.runtime_version}: {state}",
               f"          {self.runtime_path}",
               f"npm       {self.npm or 'missing (needed once, to fetch the runtime)'}"]
        for status in self.engines:
            if status.usable:
                out.append(f"engine    {status.name}: usable ({status.version})")
            else:
                out.append(f"engine    {status.name}: not usable")
                out += [f"          missing: {item}" for item in status.missing]
        return out


def check() -> Report:
    return Report(
        runtime_version=runtime.PYODIDE_VERSION,
        runtime_path=str(runtime.runtime_dir()),
        runtime_cached=runtime.cached() is not None,
        npm=shutil.which("npm"),
        engines=tuple(engine.probe() for engine in engines.ENGINES.values()),
    )
