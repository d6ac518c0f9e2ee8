"""Small generated files installed apps start from: launcher scripts and the .desktop entry."""

from __future__ import annotations

from .project import Project

# Runs with the system's python3: our folder's lib/ first on sys.path, then pyshell.
LAUNCH_PY = '''\
"""Start {title}: pyshell's host code and the app bundle sit next to this file."""
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
if sys.version_info < (3, 11):
    sys.exit("{package}: error: needs Python 3.11 or newer, found " + sys.version.split()[0])
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.dont_write_bytecode = True

from pyshell.installed import main  # noqa: E402

sys.exit(main(os.path.join(HERE, "app"){options}))
'''

DEB_LAUNCHER = '''\
#!/bin/sh
exec /usr/bin/python3 /usr/lib/{package}/launch.py "$@"
'''

TAR_LAUNCHER = '''\
#!/bin/sh
# Start {title} from this folder. Needs python3 (3.11+), PyGObject and WebKitGTK 4.1.
HERE=$(dirname "$(readlink -f "$0")")
if ! command -v python3 >/dev/null 2>&1; then
  echo "{package}: error: python3 not found; install python3 (3.11 or newer)" >&2
  exit 1
fi
exec python3 "$HERE/launch.py" "$@"
'''


def launch_py(project: Project, self_update: bool = True) -> str:
    """``self_update``: False for a package its system updates (the .deb: apt does)."""
    return LAUNCH_PY.format(title=project.title, package=project.package,
                            options="" if self_update else ", self_update=False")


def deb_launcher(project: Project) -> str:
    return DEB_LAUNCHER.format(package=project.package)


def tar_launcher(project: Project) -> str:
    return TAR_LAUNCHER.format(title=project.title, package=project.package)


def desktop_entry(project: Project, command: str, icon: str) -> str:
    """The menu entry; with file types or URL schemes declared it also says which the app
    opens (``MimeType=``), and ``Exec`` takes them as arguments: ``%U`` passes URLs and
    files (as ``file://`` URLs or paths), ``%F`` files only."""
    keywords = ";".join(w for w in project.package.split("-") if w) + ";"
    types = mime_types(project)
    app = project.app
    field = " %U" if app.url_schemes else " %F" if app.file_types else ""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        f"Name={project.title}",
        f"Comment={project.description}",
        f"Exec={command}{field}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Utility;",
        f"Keywords={keywords}",
        *([f"MimeType={''.join(t + ';' for t in types)}"] if types else []),
        f"StartupWMClass={project.package}",
        "",
    ])


def mime_types(project: Project) -> list[str]:
    """Every MIME type the app opens: its file types', then one ``x-scheme-handler/``
    type per URL scheme (how freedesktop systems register a scheme)."""
    app = project.app
    return list(dict.fromkeys([*(t.mime(project.package) for t in app.file_types),
                               *(f"x-scheme-handler/{s}" for s in app.url_schemes)]))
