"""`pyshell new`: a working app copied from ``app_template/`` with its names filled in."""

from __future__ import annotations

import keyword
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import PyshellError
from .resources import APP_TEMPLATE_DIR

_DIST_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]$|^[A-Za-z]$")
_TEXT_SUFFIXES = {".py", ".toml", ".html", ".css", ".md", ".txt", ".yml", ".yaml", ".json",
                  ".gitignore", ".cfg", ".ini"}
# Modules an app's name must not shadow besides the stdlib: ours and the app's own layout.
_RESERVED = {"pyshell", "app", "ui", "tests", "test", "pyodide", "js", "webview", "micropip"}


@dataclass(frozen=True)
class Names:
    """The spellings of one app name that the template needs."""

    name: str      # distribution name, as typed: "my-notes"
    module: str    # identifier: "my_notes"
    title: str     # window title: "My Notes"


def names_for(name: str) -> Names:
    """Validate an app name; every refusal says what a good name looks like."""
    if not _DIST_NAME.match(name):
        raise PyshellError(f"invalid app name {name!r}: use letters, digits, '-' or '_', "
                           "starting with a letter (e.g. notes, my-notes)")
    module = name.lower().replace("-", "_")
    if not module.isidentifier() or keyword.iskeyword(module):
        raise PyshellError(f"invalid app name {name!r}: {module!r} is not a Python identifier")
    if module in sys.stdlib_module_names or module in _RESERVED:
        raise PyshellError(f"invalid app name {name!r}: it would shadow the {module!r} module; "
                           "pick another name")
    title = " ".join(part.capitalize() for part in re.split(r"[-_]+", name))
    return Names(name, module, title)


def create(name: str, parent: Path | None = None, target: Path | None = None) -> Path:
    """Copy the template to ``target`` (default ``parent/name``); nothing is left on error."""
    names = names_for(name)
    dest = (target or (parent or Path.cwd()) / name).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise PyshellError(f"{dest} already exists and is not empty; choose another --dir")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pyshell-new-", dir=dest.parent) as tmp:
        staging = Path(tmp) / "app"
        shutil.copytree(APP_TEMPLATE_DIR, staging,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
        author, email = _author()
        values = {"name": names.name, "module": names.module, "title": names.title,
                  "author": author, "email": email}
        for path in staging.rglob("*"):
            if path.is_file() and (path.suffix in _TEXT_SUFFIXES or path.name.startswith(".")):
                _fill(path, values)
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)
    return dest


def _author() -> tuple[str, str]:
    """Who the app's packages name as maintainer: git's user if set, else a placeholder."""
    found = []
    for key, default in (("user.name", "Your Name"), ("user.email", "you@example.com")):
        try:
            proc = subprocess.run(["git", "config", "--get", key], capture_output=True,
                                  text=True, timeout=10)
            value = proc.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            value = ""
        found.append(value.replace('"', "'") or default)
    return found[0], found[1]


def _fill(path: Path, values: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    path.write_text(text, encoding="utf-8")
