"""A .tar.gz for any Linux: unpack anywhere, run ``./NAME``; system GTK/WebKit required.

    NAME-VERSION/NAME            launcher (finds python3, says what is missing)
    NAME-VERSION/launch.py       checks PyGObject/WebKitGTK 4.1, then starts the app
    NAME-VERSION/lib/, app/      pyshell's host code, the app bundle
    NAME-VERSION/NAME.desktop    a menu entry to copy into ~/.local/share/applications
"""

from __future__ import annotations

import shutil

from .. import launchers
from ..context import Context
from ..files import normalize, tar_gz
from ..report import Artifact, describe


class Tarball:
    name = "tarball"
    help = "portable Linux .tar.gz (python3 + GTK/WebKit from the system)"

    def build(self, ctx: Context) -> list[Artifact]:
        project = ctx.project
        base = f"{project.package}-{project.version}-linux"
        root = ctx.stage / "tar" / base
        shutil.copytree(ctx.host(), root / "lib")
        shutil.copytree(ctx.bundle(), root / "app")
        (root / "launch.py").write_text(launchers.launch_py(project))
        launcher = root / project.package
        launcher.write_text(launchers.tar_launcher(project))
        icon = f"{project.package}{project.icon.suffix}"
        shutil.copyfile(project.icon, root / icon)
        (root / f"{project.package}.desktop").write_text(
            launchers.desktop_entry(project, str(launcher.name), icon))
        ctx.say("packing the .tar.gz")
        normalize(root, project.epoch, executables=[launcher])
        staged = ctx.stage / f"{base}.tar.gz"
        tar_gz(root, staged, project.epoch)
        final = ctx.dist / staged.name
        return [ctx.emit(staged, final, describe(self.name, staged, root, final=final))]
