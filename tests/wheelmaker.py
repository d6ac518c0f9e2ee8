"""Write small but valid wheels (METADATA, WHEEL, RECORD) for tests of dependency handling."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def make_wheel(dest: Path, name: str, version: str = "1.0", tag: str = "py3-none-any",
               requires: tuple[str, ...] = (), files: dict[str, str] | None = None) -> Path:
    """A wheel for ``name`` whose module (``name`` with '-' -> '_') holds ``files``."""
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    files = files or {f"{module}/__init__.py": f"NAME = {name!r}\nVERSION = {version!r}\n"}
    meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    contents = {**files, f"{dist}/METADATA": "\n".join(meta) + "\n",
                f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: "
                                 f"{'true' if tag.endswith('any') else 'false'}\nTag: {tag}\n"}
    record = []
    for path, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    contents[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in contents.items():
            zf.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), text)
    return path
