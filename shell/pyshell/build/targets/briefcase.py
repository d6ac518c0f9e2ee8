"""Windows (.msi, WebView2) and macOS (.dmg with a .app, WKWebView) through Briefcase.

Why Briefcase: one maintained tool makes both installers (WiX for the MSI, hdiutil and
notarisation for the DMG) and ships a real Python with site-packages, so pywebview's
backends and pyshell's data files work without freezing rules. It installs wheels only,
so pywebview's sdist-only ``proxy_tools`` is built into a local wheel first.

These targets run on their own systems (the generated CI workflow does that); everywhere
pyshell generates the same Briefcase project, which the tests check.

The app's file types become Briefcase document types (one per extension, as Briefcase
declares them), which the MSI registers with Windows and the .app's Info.plist with macOS.
URL schemes are not carried over: Briefcase has no setting for them (its macOS ``info``
table takes only strings and booleans, and CFBundleURLTypes is a list of dictionaries).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ...errors import PyshellError
from .. import host
from ..context import Context
from ..project import Project
from ..report import Artifact, describe

BRIEFCASE = "briefcase==0.4.7"
# Set in CI from secrets: a certificate thumbprint (Windows) or "Developer ID
# Application: NAME (TEAMID)" (macOS). Unset: ad-hoc signed, not notarised.
SIGN_ENV = "PYSHELL_SIGN_IDENTITY"


class _Briefcase:
    name = ""
    platform = ""  # Briefcase's platform name
    system = ""  # sys.platform this target builds on
    system_name = ""
    fmt = ""

    def build(self, ctx: Context) -> list[Artifact]:
        if sys.platform != self.system:
            raise PyshellError(f"the {self.name} target builds on {self.system_name} only; use the "
                               "CI workflow (`pyshell build --target workflow`)")
        project_dir = generate(ctx, ctx.stage / "briefcase")
        ctx.say(f"packaging with Briefcase ({self.platform} {self.fmt})")
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "proxy_tools", "-w",
              str(project_dir / "wheels")], project_dir)
        sign = os.environ.get(SIGN_ENV)
        _run([sys.executable, "-m", "briefcase", "package", self.platform, "-p", self.fmt,
              "--no-input", *(["--identity", sign] if sign else ["--adhoc-sign"])], project_dir)
        built = sorted((project_dir / "dist").glob(f"*.{self.fmt}"))
        if not built:
            raise PyshellError(f"Briefcase made no .{self.fmt}; see its log above")
        final = ctx.dist / built[0].name
        return [ctx.emit(built[0], final, describe(self.name, built[0], project_dir / "build",
                                                   final=final))]


class Msi(_Briefcase):
    name, platform, system, system_name, fmt = "msi", "windows", "win32", "Windows", "msi"
    help = "Windows installer (.msi, WebView2); builds on Windows"


class Dmg(_Briefcase):
    name, platform, system, system_name, fmt = "dmg", "macOS", "darwin", "macOS", "dmg"
    help = "macOS disk image with the .app (WKWebView); builds on macOS"


def generate(ctx: Context, dest: Path) -> Path:
    """A Briefcase project: the app bundle and pyshell as sources, host deps as requires."""
    project = ctx.project
    module = project.package.replace("-", "_").replace(".", "_").replace("+", "_")
    src = dest / "src"
    shutil.copytree(ctx.bundle(), src / module / "bundle")
    shutil.copytree(ctx.host() / "pyshell", src / "pyshell")
    (src / module / "__init__.py").write_text("")
    (src / module / "__main__.py").write_text(MAIN)
    requires = ", ".join(f'"{pin}"' for pin in host_requirements(project))
    author, _, email = project.maintainer.partition(" <")
    (dest / "pyproject.toml").write_text(PYPROJECT.format(
        name=project.package, module=module, title=project.title, version=project.version,
        description=project.description.replace('"', "'"), author=author,
        email=email.rstrip(">"), requires=requires, bundle=f"org.pyshell.{module}")
        + document_types(ctx, dest, module))
    (dest / "LICENSE").write_text(f"See the license of {project.app.name}.\n")
    return dest


def host_requirements(project: Project) -> list[str]:
    """What the app's Python needs on the host. An app with an update site checks its
    feeds' Ed25519 signatures with ``cryptography``: Linux packages take it from the system
    (python3-cryptography); Windows and macOS have none, so the installer carries its wheel."""
    updates = project.app.updates
    extra = [host.pin("cryptography")] if updates is not None and updates.url else []
    return [*host.pins(), *extra]


def document_types(ctx: Context, dest: Path, module: str) -> str:
    """``document_type`` tables for the app's file types. Briefcase requires an icon, a
    help URL and one extension for each. The declared .png/.svg (or the app's icon) is
    copied to ``icons/EXT``; Briefcase wants ``EXT.ico``/``EXT.icns`` there, which pyshell
    does not make yet, so the installers show the system's default document icon."""
    project = ctx.project
    types = project.app.file_types
    if types and not project.homepage:
        raise PyshellError("[[tool.pyshell.file-types]] need a help page for the Windows and "
                           "macOS installers: add Homepage to [project.urls]")
    tables = []
    for file_type in types:
        if not file_type.extensions:
            ctx.warn(f"file type {file_type.mime_type} has no extension; the Windows and macOS "
                     "installers register types by extension, so they leave it out")
        for ext in file_type.extensions:
            icon = file_type.icon or project.icon
            shutil.copyfile(icon, _parent(dest / "icons" / f"{ext}{icon.suffix}"))
            where = f"tool.briefcase.app.{module}.document_type.{ext}"
            tables.append("\n".join([
                f"\n[{where}]",
                f"description = {json.dumps(file_type.description)}",
                f"extension = {json.dumps(ext)}",
                f"icon = {json.dumps('icons/' + ext)}",
                f"url = {json.dumps(project.homepage)}",
                f"mime_type = {json.dumps(file_type.mime(project.package))}",
                f"macOS.CFBundleTypeRole = {json.dumps(file_type.role.title())}",
            ]))
    return "".join(t + "\n" for t in tables)


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _run(cmd: list[str], cwd: Path) -> None:
    if subprocess.run(cmd, cwd=cwd).returncode != 0:
        raise PyshellError(f"{' '.join(cmd[:5])} failed; see its output above")


MAIN = '''\
"""Start the app: pyshell's installed-app entry point with the bundle beside this file.

The arguments are the files and URLs Windows opens the app with ("Open with", a file of
one of its types). Old macOS added a -psn_ process number of its own, left out here.
"""
import sys
from pathlib import Path

from pyshell.installed import main

args = [arg for arg in sys.argv[1:] if not arg.startswith("-psn_")]
sys.exit(main(Path(__file__).resolve().parent / "bundle", args))
'''

PYPROJECT = '''\
# Generated by `pyshell build`; Briefcase reads this to make the .msi/.dmg.
[tool.briefcase]
project_name = "{title}"
bundle = "{bundle}"
version = "{version}"
license.file = "LICENSE"

[tool.briefcase.app.{module}]
formal_name = "{title}"
description = "{description}"
author = "{author}"
author_email = "{email}"
sources = ["src/{module}", "src/pyshell"]
requires = [{requires}]
# proxy_tools (a pywebview dependency) is sdist-only; Briefcase installs wheels only
requirement_installer_args = ["--find-links", "wheels"]

[tool.briefcase.app.{module}.macOS]
universal_build = true

[tool.briefcase.app.{module}.windows]
'''
