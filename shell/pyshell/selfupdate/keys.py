"""The app's update signing key: an Ed25519 pair, private half in the user's config folder.

``pyshell keys new`` makes the pair: the private key goes to
``USER_CONFIG/pyshell/keys/PACKAGE.key`` (PEM, PKCS#8, mode 0600 in a 0700 folder, never
inside the app folder, where it would be committed or packaged), and the public key,
32 bytes in standard base64, into ``[tool.pyshell.updates] public-key``, which installed
apps carry and check every feed against. ``signing_key`` loads it for
``pyshell build --target update``.
"""

from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .. import tomledit
from ..build import project as projects
from ..build.project import Project
from ..errors import PyshellError

TABLE = "tool.pyshell.updates"


def key_path(package: str) -> Path:
    return Path(platformdirs.user_config_dir("pyshell")) / "keys" / f"{package}.key"


def public_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def new(app_dir: Path | str, force: bool = False) -> tuple[Path, str]:
    """Make the app's key pair; returns the private key's path and the public key."""
    root = Path(app_dir).resolve()
    pyproject = root / "pyproject.toml"
    package = projects.package_name(app_name(pyproject))
    path = key_path(package)
    if path.resolve().is_relative_to(root):
        raise PyshellError(f"the key would be written to {path}, inside the app folder; point "
                           "XDG_CONFIG_HOME outside it")
    if path.exists() and not force:
        raise PyshellError(f"{path} already exists; pass --force to replace it (installed apps "
                           "that trust its public key will refuse updates signed with the new one)")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    _write_private(tmp, key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    try:
        tomledit.set_string(pyproject, TABLE, "public-key",
                            public_text(key))
    except BaseException:
        tmp.unlink()
        raise
    os.replace(tmp, path)
    return path, public_text(key)


def signing_key(project: Project) -> Ed25519PrivateKey:
    """The private key matching the app's ``public-key``, or a line saying what to do."""
    updates = project.app.updates
    if updates is None:
        raise PyshellError("pyproject.toml: [tool.pyshell.updates] public-key is missing; run "
                           "`pyshell keys new` to make the app's signing key")
    path = key_path(project.package)
    if not path.is_file():
        raise PyshellError(f"no signing key at {path}; run `pyshell keys new` (or copy this "
                           "app's key there from the machine that made it)")
    if path.stat().st_mode & 0o077:
        raise PyshellError(f"{path} can be read by other users; run `chmod 600 {path}`")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise PyshellError(f"{path} is not an unencrypted PEM private key; run "
                           "`pyshell keys new --force` to make a new one") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise PyshellError(f"{path} is not an Ed25519 key; run `pyshell keys new --force`")
    if public_text(key) != updates.public_key:
        raise PyshellError(f"{path} does not match [tool.pyshell.updates] public-key; restore "
                           "the matching key, or run `pyshell keys new --force` to replace both")
    return key


def app_name(pyproject: Path) -> str:
    """``[project] name``, read without the rest of the config (which may be the very
    thing this command is about to complete)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PyshellError(f"{pyproject}: not found; run pyshell in an app folder or pass "
                           "APP_DIR") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PyshellError(f"{pyproject}: invalid TOML: {exc}") from None
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) \
        else None
    if not isinstance(name, str) or not name.strip():
        raise PyshellError(f"{pyproject}: [project] name is missing")
    return name


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
