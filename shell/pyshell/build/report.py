"""The size report: each artifact, and the biggest parts inside it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import tree_size, walk


@dataclass(frozen=True)
class Artifact:
    target: str
    path: str
    bytes: int
    parts: list[tuple[str, int]] = field(default_factory=list)  # biggest first
    extra: dict[str, int] = field(default_factory=dict)  # e.g. gzip-transferred size


def describe(target: str, path: Path, contents: Path, final: Path, top: int = 6,
             extra: dict[str, int] | None = None) -> Artifact:
    """``path``: the staged artifact; ``contents``: the tree it was made from; ``final``:
    where it will be once the build succeeds."""
    size = tree_size(path) if path.is_dir() else path.stat().st_size
    parts = sorted(((p.relative_to(contents).as_posix(), p.stat().st_size)
                    for p in walk(contents) if p.is_file()), key=lambda kv: (-kv[1], kv[0]))
    return Artifact(target, str(final), size, parts[:top], extra or {})


def text(artifacts: list[Artifact]) -> str:
    lines = []
    for art in artifacts:
        extra = "".join(f", {k} {_mb(v)}" for k, v in art.extra.items())
        lines.append(f"{art.target:9} {_mb(art.bytes):>9}  {art.path}{extra}")
        lines += [f"{'':9} {_mb(size):>9}    {name}" for name, size in art.parts]
    return "\n".join(lines)


def to_json(artifacts: list[Artifact], permissions: list[str] | None = None) -> str:
    """``permissions``: the app's permissions summary lines (``permissions.summary``)."""
    report: dict[str, object] = {"artifacts": [asdict(a) for a in artifacts]}
    if permissions is not None:
        report["permissions"] = permissions
    return json.dumps(report, indent=2)


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
