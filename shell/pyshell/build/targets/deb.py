"""Debian package: ``dpkg-deb`` over a tree in the standard places.

    /usr/bin/NAME                         launcher (system python3)
    /usr/lib/NAME/{launch.py,lib,app}     pyshell's host code, the app bundle
    /usr/share/applications/NAME.desktop  menu entry (with the MIME types it opens)
    /usr/share/mime/packages/NAME.xml     the app's file types (shared-mime-info)
    /usr/share/icons/hicolor/...          icon, and the file types' icons
    /usr/share/doc/NAME/                  copyright, changelog.gz
    /usr/share/man/man1/NAME.1.gz         manual page

The host side comes from Debian (python3, PyGObject, WebKitGTK 4.1): a small package.
No maintainer scripts: the dpkg triggers of shared-mime-info and desktop-file-utils
rebuild the MIME database and the desktop entries' MIME cache on install and removal.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ...associations import FileType
from ...errors import PyshellError, stderr_line
from .. import launchers
from ..context import Context
from ..files import normalize, walk
from ..project import Project
from ..report import Artifact, describe

DEPENDS = "python3 (>= 3.11), python3-gi, gir1.2-gtk-3.0, gir1.2-webkit2-4.1"
# Tags lintian reports that we accept, with why (installed as the package's overrides).
LINTIAN_OVERRIDES = {
    "extra-license-file": "vendored wheels keep their license files beside their metadata",
    "package-contains-documentation-outside-usr-share-doc":
        "vendored wheels' license and metadata files stay with the code they describe",
}


class Deb:
    name = "deb"
    help = "Debian/Ubuntu package (.deb), GTK/WebKit engine from the system"

    def build(self, ctx: Context) -> list[Artifact]:
        staged = self.package(ctx)
        final = ctx.dist / staged.name
        return [ctx.emit(staged, final, describe(self.name, staged, ctx.stage / "deb-root",
                                                 final=final))]

    def package(self, ctx: Context) -> Path:
        """The staged .deb, made once per build (the apt-repo target reuses it)."""
        project = ctx.project
        staged = ctx.stage / f"{project.package}_{project.deb_version}_all.deb"
        if staged.exists():
            return staged
        if shutil.which("dpkg-deb") is None:
            raise PyshellError("dpkg-deb not found; install dpkg (Debian: apt-get install dpkg)")
        for problem in description_problems(project):
            ctx.warn(problem)
        root = ctx.stage / "deb-root"
        lib = root / "usr/lib" / project.package
        shutil.copytree(ctx.host(), lib / "lib")
        shutil.copytree(ctx.bundle(), lib / "app")
        (lib / "launch.py").write_text(launchers.launch_py(project, self_update=False))
        launcher = _write(root / "usr/bin" / project.package, launchers.deb_launcher(project))
        self._share(root, project)
        ctx.say("building the .deb with dpkg-deb")
        normalize(root, project.epoch, executables=[launcher])
        _control(root, project)
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(project.epoch))
        proc = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root),
                               str(staged)], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            last = stderr_line(proc.stderr, f"exit code {proc.returncode}")
            raise PyshellError(f"dpkg-deb failed: {last}")
        return staged

    def _share(self, root: Path, project: Project) -> None:
        share = root / "usr/share"
        icon_dir = _icon_dir(project.icon)
        shutil.copyfile(project.icon, _parent(share / "icons/hicolor" / icon_dir / "apps"
                                              / f"{project.package}{project.icon.suffix}"))
        _write(share / "applications" / f"{project.package}.desktop",
               launchers.desktop_entry(project, project.package, project.package))
        if _globbed(project):
            _write(share / "mime/packages" / f"{project.package}.xml", mime_info(project))
        for file_type in project.app.file_types:
            if file_type.icon is not None:
                shutil.copyfile(file_type.icon, _parent(
                    share / "icons/hicolor" / _icon_dir(file_type.icon) / "mimetypes"
                    / f"{_type_icon(project, file_type)}{file_type.icon.suffix}"))
        doc = share / "doc" / project.package
        _write(doc / "copyright", _copyright(project))
        _write_gz(doc / "changelog.gz", _changelog(project))
        _write_gz(share / "man/man1" / f"{project.package}.1.gz", _manpage(project))
        _write(share / "lintian/overrides" / project.package,
               "".join(f"# {why}\n{project.package}: {tag} [usr/lib/{project.package}/lib/*]\n"
                       for tag, why in LINTIAN_OVERRIDES.items()))


def mime_info(project: Project) -> str:
    """A shared-mime-info package: each declared type with its file-name globs, its name
    and its icon. Written for well-known types too (the database merges packages, so this
    adds the app's globs and removes no one's); a type declared by MIME type alone, with
    no icon, needs no entry: the system knows it already."""
    entries = []
    for file_type in _globbed(project):
        mime = file_type.mime(project.package)
        lines = [f"  <mime-type type={quoteattr(mime)}>",
                 f"    <comment>{escape(file_type.description)}</comment>"]
        if file_type.icon is not None:
            lines.append(f"    <icon name={quoteattr(_type_icon(project, file_type))}/>")
        lines += [f'    <glob pattern="*.{ext}"/>' for ext in file_type.extensions]
        entries.append("\n".join([*lines, "  </mime-type>"]))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">\n'
            + "\n".join(entries) + "\n</mime-info>\n")


def _globbed(project: Project) -> list[FileType]:
    return [t for t in project.app.file_types if t.extensions or t.icon is not None]


def _type_icon(project: Project, file_type: FileType) -> str:
    """The icon's name: the app's own, so it never replaces the theme's icon of a type."""
    return f"{project.package}-{file_type.mime(project.package).replace('/', '-')}"


def description_problems(project: Project) -> list[str]:
    """What lintian would reject in the synopsis, said before the package is built."""
    summary = project.description.split(". ", 1)[0].strip()
    problems = []
    if summary.lower().startswith((project.package.lower(), project.title.lower())):
        problems.append(f"[project] description {summary!r} starts with the app's name; "
                        "lintian rejects that (description-starts-with-package-name): "
                        "say what the app does, e.g. \"Keep a journal in Markdown.\"")
    if summary.split(" ", 1)[0].lower() in ("a", "an", "the"):
        problems.append(f"[project] description {summary!r} starts with an article; lintian "
                        "flags that (description-synopsis-starts-with-article): drop it")
    if not summary:
        problems.append("[project] description is empty; the package needs a one-line "
                        "summary of what the app does")
    return problems


def _control(root: Path, project: Project) -> None:
    files = sorted(p for p in walk(root) if p.is_file())
    size_kb = sum((p.stat().st_size + 1023) // 1024 for p in files)
    md5 = "".join(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(root)}\n"
                  for p in files)
    summary, *rest = project.description.split(". ", 1)
    body = rest[0] if rest else (
        f"{project.title} is a desktop app made with pyshell. Its interface is a web\n"
        " page in a GTK WebKit window; its logic is Python running in WebAssembly\n"
        " (Pyodide), which reaches only the files the app was granted.")
    fields = [
        f"Package: {project.package}",
        f"Version: {project.deb_version}",
        "Architecture: all",
        f"Maintainer: {project.maintainer}",
        f"Installed-Size: {size_kb}",
        f"Depends: {DEPENDS}",
        "Section: utils",
        "Priority: optional",
        *([f"Homepage: {project.homepage}"] if project.homepage else []),
        f"Description: {summary.rstrip('.')[:72]}",
        f" {body}",
    ]
    debian = root / "DEBIAN"
    debian.mkdir(mode=0o755)
    for name, text in (("control", "\n".join(fields) + "\n"), ("md5sums", md5)):
        (debian / name).write_text(text)
        (debian / name).chmod(0o644)
        os.utime(debian / name, (project.epoch, project.epoch))
    os.utime(debian, (project.epoch, project.epoch))


def _icon_dir(icon: Path) -> str:
    if icon.suffix.lower() == ".svg":
        return "scalable"
    header = icon.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise PyshellError(f"[tool.pyshell] icon: {icon} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return f"{width}x{height}"


def _copyright(project: Project) -> str:
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {project.app.name}\n\n"
        "Files: *\n"
        f"Copyright: {time.gmtime(project.epoch).tm_year} {project.maintainer}\n"
        "License: see-upstream\n"
        " The app's license is the one its authors ship with its source.\n"
        " Bundled components keep their own licenses: Pyodide (MPL-2.0) in\n"
        f" /usr/lib/{project.package}/app/runtime and the Python packages in\n"
        f" /usr/lib/{project.package}/lib, each with its license file.\n"
    )


def _changelog(project: Project) -> str:
    date = email.utils.formatdate(project.epoch, usegmt=True).replace("GMT", "+0000")
    return (f"{project.package} ({project.deb_version}) unstable; urgency=medium\n\n"
            f"  * Release {project.version}.\n\n -- {project.maintainer}  {date}\n")


def _manpage(project: Project) -> str:
    return (f'.TH {project.package.upper()} 1 "" "{project.version}"\n'
            f".SH NAME\n{project.package} \\- {project.description}\n"
            f".SH SYNOPSIS\n.B {project.package}\n[\\-\\-debug]\n"
            f".SH DESCRIPTION\n{project.title}, a desktop app made with pyshell.\n"
            ".SH OPTIONS\n.TP\n.B \\-\\-debug\nenable the web inspector\n")


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, text: str) -> Path:
    _parent(path).write_text(text, encoding="utf-8")
    return path


def _write_gz(path: Path, text: str) -> None:
    _parent(path).write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
