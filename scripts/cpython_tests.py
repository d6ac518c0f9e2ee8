#!/usr/bin/env python3
"""Fetch CPython's own file-semantics tests (Lib/test) for the conformance suite.

The tests come from Debian's ``libpython3.14-testsuite`` (the test modules) and
``libpython3.14-stdlib`` (``test/__init__.py`` and ``test.support``) in the sid suite,
downloaded with apt through a private configuration (so apt checks the signed
Release/Packages hashes) whose archive address is read at run time from this machine's
own apt sources. Only the files the suite needs are kept, in
``${PYSHELL_CACHE_DIR:-~/.cache/pyshell}/cpython-tests/VERSION/test/``; nothing is
committed. Idempotent: a quick no-op when the pinned version is already there.

    python scripts/cpython_tests.py          # fetch if missing; prints the folder
    python scripts/cpython_tests.py --print  # only print the cached folder (or exit 1)
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The pinned Debian version and each package's .deb sha256 (per architecture: the stdlib
# package is architecture-specific, its Python files are not).
VERSION = "3.14.10-1"
SERIES = "3.14."  # a newer 3.14.x is taken when the pinned one is no longer offered
SUITE = "sid"
PACKAGES = ("libpython3.14-testsuite", "libpython3.14-stdlib")
SHA256 = {
    ("libpython3.14-testsuite", "all"):
        "137b55a9b0794801a0226a8220c7c224e9e5e3a9d1261bd62573a87a6ad8bf31",
    ("libpython3.14-stdlib", "amd64"):
        "0af595928d7a49c12fe33d5667da95dc2fa9868e1a9a00625428074d3b3d458a",
}
# What the conformance suite runs (paths under Lib/test), and what they import.
FILES = (
    "__init__.py",
    "support/",
    "mapping_tests.py",  # test_os
    "test_fileio.py",
    "test_glob.py",
    "test_tempfile.py",
    "test_shutil.py",
    "test_os.py",
    "test_os/",  # test_os may become a package
    "test_pathlib/",
)
REQUIRED = ("__init__.py", "support/__init__.py", "test_os", "test_pathlib/__init__.py")
MANIFEST = "MANIFEST.json"
LIB_TEST = Path("usr/lib/python3.14/test")
DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def cache_root() -> Path:
    override = os.environ.get("PYSHELL_CACHE_DIR")
    return Path(override) if override else Path.home() / ".cache" / "pyshell"


def base_dir() -> Path:
    return cache_root() / "cpython-tests"


def cached() -> Path | None:
    """The ``VERSION`` folder (which holds ``test/``) if complete, else None; no network."""
    pinned = base_dir() / VERSION
    if (pinned / MANIFEST).is_file():
        return pinned
    current = base_dir() / "current"
    if current.is_file():
        folder = base_dir() / current.read_text().strip()
        manifest = folder / MANIFEST
        if manifest.is_file() and json.loads(manifest.read_text()).get("instead_of") == VERSION:
            return folder
    return None


# -- apt sources --------------------------------------------------------------------------

def archive_source() -> tuple[str, str | None]:
    """(URIs, Signed-By) of this machine's main Debian archive, from its apt sources."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        for stanza in re.split(r"\n\s*\n", deb822.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" not in fields.get("types", "").split() or "uris" not in fields:
                continue
            suites = fields.get("suites", "").split()
            if suites and all(re.search(r"-(security|updates|backports)$", s) for s in suites):
                continue
            if fields.get("enabled", "yes").lower() == "no":
                continue
            return fields["uris"].split()[0], fields.get("signed-by")
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            m = re.match(r"\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)", line)
            if not m or re.search(r"-(security|updates|backports)$", m.group(3)):
                continue
            signed = re.search(r"signed-by=(\S+)", m.group(1) or "")
            return m.group(2), signed.group(1) if signed else None
    sys.exit("cpython_tests: no Debian archive in /etc/apt/sources.list.d/debian.sources "
             "or /etc/apt/sources.list")


class Apt:
    """apt-get/apt-cache with a private configuration in ``root`` (nothing system-wide)."""

    def __init__(self, root: Path, uri: str, signed_by: str | None) -> None:
        parts = root / "sources.list.d"
        for sub in (parts, root / "lists" / "partial", root / "cache" / "archives" / "partial"):
            sub.mkdir(parents=True, exist_ok=True)
        keyring = signed_by or (DEFAULT_KEYRING if Path(DEFAULT_KEYRING).is_file() else None)
        stanza = f"Types: deb\nURIs: {uri}\nSuites: {SUITE}\nComponents: main\n"
        if keyring:
            stanza += f"Signed-By: {keyring}\n"
        (parts / f"pyshell-{SUITE}.sources").write_text(stanza)
        self.options = [
            "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={parts}",
            "-o", f"Dir::State::Lists={root / 'lists'}",
            "-o", f"Dir::Cache={root / 'cache'}",
        ]

    def run(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        proc = subprocess.run([tool, *self.options, *args], cwd=cwd, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            sys.exit(f"cpython_tests: {tool} {' '.join(args)} failed:\n{proc.stderr.strip()}")
        return proc.stdout

    def versions(self, package: str) -> set[str]:
        out = self.run("apt-cache", "madison", package)
        return {line.split("|")[1].strip() for line in out.splitlines() if line.count("|") >= 2}


def newer(a: str, b: str) -> int:
    if a == b:
        return 0
    gt = subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0
    return 1 if gt else -1


def choose_version(apt: Apt) -> str:
    offered = set.intersection(*(apt.versions(p) for p in PACKAGES))
    if VERSION in offered:
        return VERSION
    series = sorted((v for v in offered if v.startswith(SERIES)), key=functools.cmp_to_key(newer))
    if not series:
        sys.exit(f"cpython_tests: {SUITE} offers no {SERIES}x of {', '.join(PACKAGES)}")
    print(f"cpython_tests: {VERSION} is no longer in {SUITE}; using {series[-1]} "
          "(apt checked its hashes; no pinned .deb sha256 for it)")
    return series[-1]


# -- fetch --------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch() -> Path:
    uri, signed_by = archive_source()
    base = base_dir()
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pyshell-cpython-tests-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # apt downloads as the _apt user when run as root
        apt = Apt(root / "apt", uri, signed_by)
        print(f"cpython_tests: apt-get update ({SUITE}, private lists)")
        apt.run("apt-get", "-qq", "update")
        version = choose_version(apt)
        downloads = root / "debs"
        downloads.mkdir()
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("_apt")
                shutil.chown(downloads, user="_apt")
            except (KeyError, OSError):
                pass
        print(f"cpython_tests: apt-get download {' '.join(PACKAGES)} ({version})")
        apt.run("apt-get", "-qq", "download", *(f"{p}={version}" for p in PACKAGES),
                cwd=downloads)
        debs: dict[str, str] = {}
        extracted = root / "x"
        for deb in sorted(downloads.glob("*.deb")):
            package, _, arch = deb.stem.split("_")
            digest = sha256(deb)
            pinned = SHA256.get((package, arch))
            if version == VERSION and pinned and digest != pinned:
                sys.exit(f"cpython_tests: {deb.name}: sha256 {digest} is not the pinned {pinned}")
            debs[deb.name] = digest
            subprocess.run(["dpkg-deb", "-x", str(deb), str(extracted)], check=True)
        if len(debs) != len(PACKAGES):
            sys.exit(f"cpython_tests: expected {len(PACKAGES)} .deb files, got {sorted(debs)}")
        source = extracted / LIB_TEST
        stage = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=base))
        try:
            files = copy_needed(source, stage / "test")
            missing = [r for r in REQUIRED if not any(f == r or f.startswith(r) for f in files)]
            if missing:
                sys.exit(f"cpython_tests: the packages lack {', '.join(missing)}")
            manifest = {"version": version, "suite": SUITE, "debs": debs, "files": files}
            if version != VERSION:
                manifest["instead_of"] = VERSION
            (stage / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
            target = base / version
            if target.exists():
                shutil.rmtree(target)
            stage.rename(target)
        finally:
            if stage.exists():
                shutil.rmtree(stage)
    (base / "current.tmp").write_text(version + "\n")
    (base / "current.tmp").replace(base / "current")
    return target


def copy_needed(source: Path, dest: Path) -> list[str]:
    copied = []
    for entry in FILES:
        src = source / entry.rstrip("/")
        if entry.endswith("/"):
            if not src.is_dir():
                continue
            paths = sorted(p for p in src.rglob("*")
                           if p.is_file() and "__pycache__" not in p.parts)
        else:
            if not src.is_file():
                continue
            paths = [src]
        for path in paths:
            rel = path.relative_to(source).as_posix()
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
            copied.append(rel)
    return copied


def main(argv: list[str]) -> int:
    found = cached()
    if "--print" in argv:
        if found is None:
            return 1
        print(found)
        return 0
    if found is None:
        found = fetch()
        print(f"cpython_tests: CPython's tests in {found / 'test'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
