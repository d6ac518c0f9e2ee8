"""What a build needs to know about an app beyond ``AppConfig``: names, version, icon, time."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from .. import config
from ..config import AppConfig
from ..errors import PyshellError

DEFAULT_ICON = Path(__file__).with_name("default-icon.svg")


@dataclass(frozen=True)
class Project:
    """One app, as the packaging targets see it."""

    app: AppConfig
    package: str  # Debian-safe name: lowercase letters, digits, '-', '+', '.'
    version: Version
    description: str
    maintainer: str  # "Name <email>"
    homepage: str | None
    icon: Path  # .png or .svg
    epoch: int  # every timestamp in the artifacts (SOURCE_DATE_EPOCH)

    @property
    def deb_version(self) -> str:
        """PEP 440 spelled for dpkg: pre-releases sort before the release (1.0~rc1)."""
        text = str(self.version)
        return re.sub(r"(\d)(a|b|rc|\.dev)", r"\1~\2", text).replace("+", "+local.")

    @property
    def title(self) -> str:
        return self.app.window.title


def load(app_dir: Path | str) -> Project:
    app = config.load(app_dir)
    data = tomllib.loads((app.root / "pyproject.toml").read_text(encoding="utf-8"))
    project, tool = data.get("project", {}), data.get("tool", {}).get("pyshell", {})
    try:
        version = Version(app.version)
    except InvalidVersion:
        raise PyshellError(f"pyproject.toml: [project] version {app.version!r} is not a valid "
                           "version; use e.g. \"1.2.0\" or \"1.2.0rc1\" (PEP 440)") from None
    return Project(app, package_name(app.name), version, _description(project, app),
                   _maintainer(project), _homepage(project), _icon(tool, app.root), _epoch())


def package_name(name: str) -> str:
    """The app's name as packages and files spell it (Debian-safe)."""
    package = re.sub(r"[^a-z0-9+.-]+", "-", name.lower()).strip("-.+")
    if len(package) < 2 or not package[0].isalnum():
        raise PyshellError(f"pyproject.toml: [project] name {name!r} cannot be a package "
                           "name; use letters, digits and '-'")
    return package


def _description(project: dict[str, Any], app: AppConfig) -> str:
    text = project.get("description")
    return text.strip() if isinstance(text, str) and text.strip() else f"{app.name} desktop app"


def _maintainer(project: dict[str, Any]) -> str:
    for person in project.get("maintainers", []) + project.get("authors", []):
        if isinstance(person, dict) and person.get("email"):
            return f"{person.get('name', person['email'])} <{person['email']}>"
    return "Unknown <unknown@localhost>"


def _homepage(project: dict[str, Any]) -> str | None:
    urls = project.get("urls", {})
    return next((v for k, v in urls.items() if k.lower() in ("homepage", "home")), None) \
        if isinstance(urls, dict) else None


def _icon(tool: dict[str, Any], root: Path) -> Path:
    value = tool.get("icon")
    if value is None:
        return DEFAULT_ICON
    path = (root / str(value)).resolve()
    if path.suffix.lower() not in (".png", ".svg"):
        raise PyshellError(f"pyproject.toml: [tool.pyshell] icon {value!r} must be a .png or "
                           ".svg file")
    if not path.is_file():
        raise PyshellError(f"pyproject.toml: [tool.pyshell] icon: {path} not found")
    return path


def _epoch() -> int:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return 315532800  # 1980-01-01, the earliest time a zip can hold
    if not raw.isdigit():
        raise PyshellError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {raw!r}")
    return max(int(raw), 315532800)
