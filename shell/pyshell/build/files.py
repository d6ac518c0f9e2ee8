"""Deterministic files: the same inputs give the same bytes (mtimes, modes, order, gzip)."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..bundle import tree


def copy_tree(src: Path, dest: Path) -> None:
    """Copy a folder without caches, dot-files, bytecode or symlinks (``bundle.skipped``)."""
    for path in tree(src):
        rel = path.relative_to(src)
        if path.is_dir():
            (dest / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)


def normalize(root: Path, epoch: int, executables: Iterable[Path] = ()) -> None:
    """Modes 755/644 and one timestamp for everything under ``root`` (and ``root`` itself)."""
    runnable = {p.resolve() for p in executables}
    for path in walk(root):
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.resolve() in runnable else 0o644)
    for path in [*walk(root), root]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in dirnames:
            yield base / name
        for name in sorted(filenames):
            yield base / name


def tar_gz(root: Path, out: Path, epoch: int) -> None:
    """``root`` as ``root.name/...`` in a gzip tarball with fixed owners, times and order."""
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch,
                                              compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in [root, *walk(root)]:
            info = tar.gettarinfo(str(path), arcname=str(Path(root.name) / path.relative_to(root)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = epoch
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in walk(root) if p.is_file())
