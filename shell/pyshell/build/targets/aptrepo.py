"""A signed APT repository for the app's .deb: users add it once, then apt updates the app.

    NAME-apt/pool/main/NAME_VERSION_all.deb          the .deb (the deb target's)
    NAME-apt/dists/stable/main/binary-all/Packages   its stanza (+ Packages.gz)
    NAME-apt/dists/stable/Release                    the index files' SHA256 and sizes
    NAME-apt/dists/stable/InRelease, Release.gpg     Release, signed (clear, detached)
    NAME-apt/NAME-archive-keyring.gpg                the public key, for ``Signed-By``
    NAME-apt/NAME.sources                            the one file users put in
                                                     /etc/apt/sources.list.d/

The package is ``Architecture: all``, so the repository has one ``binary-all`` index and
says so in ``Architectures``. The versions a build finds in the last build's pool (in
``dist/``) stay in the new one and its index, the ``KEPT`` newest of them: a user whose
lists are a day old still finds the .deb they name, and can go back with
``apt-get install NAME=VERSION``. Publishing is copying the folder to ``[tool.pyshell] apt-url``.
``Release`` is reproducible (its Date is SOURCE_DATE_EPOCH when set); the signatures carry
the time they were made.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import time
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ...errors import PyshellError, stderr_line
from .. import aptindex, aptkey
from ..context import Context
from ..report import Artifact, describe
from .deb import Deb

ARCH = "all"
KEPT = 4  # earlier versions kept in the pool and the index


class AptRepo:
    name = "apt-repo"
    help = "signed APT repository holding the .deb, for users to update with apt"

    def build(self, ctx: Context) -> list[Artifact]:
        project = ctx.project
        gnupg = aptkey.signing_home(project.package)
        deb = Deb().package(ctx)
        repo = ctx.stage / "apt-repo" / f"{project.package}-apt"
        ctx.say("writing the APT repository")
        pool = repo / "pool" / aptindex.COMPONENT
        pool.mkdir(parents=True)
        debs = [deb, *_published(ctx.dist / repo.name / "pool" / aptindex.COMPONENT, deb,
                                 project.package)]
        for each in debs:
            shutil.copyfile(each, pool / each.name)
        suite = repo / "dists" / aptindex.SUITE
        packages = "\n".join(
            aptindex.packages_stanza(_control(each), f"pool/{aptindex.COMPONENT}/{each.name}",
                                     each.read_bytes()) for each in debs).encode("utf-8")
        index = f"{aptindex.COMPONENT}/binary-{ARCH}/Packages"
        indexes = {index: packages, f"{index}.gz": gzip.compress(packages, 9, mtime=0)}
        for path, data in indexes.items():
            (suite / path).parent.mkdir(parents=True, exist_ok=True)
            (suite / path).write_bytes(data)
        release = suite / "Release"
        release.write_text(aptindex.release(project.package, ARCH, _date(project.epoch), indexes))
        keyring = repo / f"{project.package}-archive-keyring.gpg"
        aptkey.sign(gnupg, release, keyring)
        self._sources(ctx, repo, keyring.name)
        final = ctx.dist / repo.name
        return [ctx.emit(repo, final, describe(self.name, repo, repo, final=final))]

    @staticmethod
    def _sources(ctx: Context, repo: Path, keyring: str) -> None:
        url = ctx.project.app.apt_url
        if url is None:
            ctx.warn("[tool.pyshell] apt-url is not set; the .sources file points at the "
                     "local folder until it names where the repository is published")
            url = f"file:{ctx.dist / repo.name}"
        (repo / f"{ctx.project.package}.sources").write_text(
            f"Types: deb\nURIs: {url}\nSuites: {aptindex.SUITE}\n"
            f"Components: {aptindex.COMPONENT}\nSigned-By: /usr/share/keyrings/{keyring}\n")


def _published(pool: Path, new: Path, package: str) -> list[Path]:
    """The other versions of ``package`` in the last build's pool, newest first, at most
    ``KEPT``."""
    if not pool.is_dir():
        return []
    found = []
    for old in pool.glob("*.deb"):
        if old.name == new.name:
            continue
        try:
            control = _control(old)
            if control["Package"] == package:
                found.append((Version(control["Version"]), old))
        except (PyshellError, KeyError, InvalidVersion):
            continue  # not one of this app's builds: left out
    return [old for _, old in sorted(found, reverse=True)[:KEPT]]


def _control(deb: Path) -> dict[str, str]:
    proc = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise PyshellError(f"dpkg-deb -f {deb.name} failed: "
                           f"{stderr_line(proc.stderr, f'exit code {proc.returncode}')}")
    return aptindex.parse_control(proc.stdout)


def _date(epoch: int) -> int:
    """The Release date: SOURCE_DATE_EPOCH when the build is to be reproducible, else now
    (apt refuses a Release dated in the future, and a default epoch would date it 1980)."""
    return epoch if "SOURCE_DATE_EPOCH" in os.environ else int(time.time())
