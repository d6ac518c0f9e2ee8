"""A static update site that installed apps update from; any static host can serve it.

    NAME-update/feed.json                  the signed feed (``pyshell.selfupdate.feed``)
    NAME-update/NAME-VERSION-app.tar.gz    the app layer: pyproject.toml, the lock, the
                                           UI, the app's packages, the locked wheels
    NAME-update/pyodide-VERSION.tar.gz     the Pyodide runtime the layer runs on

The runtime archive is always on the site, and the feed names its Pyodide version: an
installed app downloads it only when that version differs from the one it runs, so a
usual update moves the app layer alone. The release notes are this version's section
of the app's CHANGELOG.md. Publishing is copying the folder to the address in
``[tool.pyshell.updates] url``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ... import __version__
from ...selfupdate import keys
from ...selfupdate.feed import FEED_NAME, Feed, FileEntry, canonical, document
from .. import changelog
from ..context import Context
from ..files import normalize, tar_gz
from ..report import Artifact, describe


class Update:
    name = "update"
    help = "signed update site (feed.json and archives) that installed apps update from"

    def build(self, ctx: Context) -> list[Artifact]:
        project = ctx.project
        key = keys.signing_key(project)
        if project.app.updates is not None and project.app.updates.url is None:
            ctx.warn("[tool.pyshell.updates] has no url; apps installed from this build "
                     "will not look for updates")
        site = ctx.stage / "update" / f"{project.package}-update"
        site.mkdir(parents=True)
        ctx.say("packing the update site")
        layer = ctx.stage / "update-layer" / "app"
        bundle = ctx.bundle()
        shutil.copytree(bundle, layer, ignore=lambda folder, names: (
            ["runtime"] if Path(folder) == bundle else []))
        app = self._pack(ctx, layer, site / f"{project.package}-{project.version}-app.tar.gz",
                         "app")
        runtime = ctx.stage / "update-layer" / "runtime"
        shutil.copytree(bundle / "runtime", runtime)
        rt = self._pack(ctx, runtime, site / f"pyodide-{ctx.runtime.version}.tar.gz", "runtime")
        feed = Feed(project.package, str(project.version), __version__, ctx.runtime.version,
                    self._notes(ctx), (app, rt))
        (site / FEED_NAME).write_bytes(document(feed, key.sign(canonical(feed.payload()))))
        final = ctx.dist / site.name
        return [ctx.emit(site, final, describe(self.name, site, site, final=final))]

    @staticmethod
    def _pack(ctx: Context, root: Path, dest: Path, kind: str) -> FileEntry:
        normalize(root, ctx.project.epoch)
        tar_gz(root, dest, ctx.project.epoch)
        with dest.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        return FileEntry(dest.name, kind, digest, dest.stat().st_size)

    @staticmethod
    def _notes(ctx: Context) -> str:
        version = str(ctx.project.version)
        text = changelog.notes(ctx.project.app.root, version)
        if text is None:
            ctx.warn(f"{changelog.CHANGELOG_NAME} has no section for {version}; the update "
                     "has no release notes")
        return text or ""
