"""The app's APT signing key: OpenPGP, in a private GnuPG home in the user's config folder.

apt checks a repository's ``InRelease``/``Release.gpg`` with OpenPGP, so the Ed25519 key
that signs the update feed (``selfupdate.keys``) cannot serve. ``pyshell keys new --apt``
makes an Ed25519 OpenPGP key with ``gpg`` in ``USER_CONFIG/pyshell/keys/PACKAGE.gnupg``
(mode 0700, beside the update key, never inside the app folder), without a passphrase so
builds run unattended: the folder's permissions are its protection, as for the update key.
The user's own GnuPG keyring is never touched; the agent gpg starts is stopped
after each command.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from ..errors import PyshellError, stderr_line
from ..selfupdate.keys import app_name
from . import project as projects


def home(package: str) -> Path:
    return Path(platformdirs.user_config_dir("pyshell")) / "keys" / f"{package}.gnupg"


def new(app_dir: Path | str, force: bool = False) -> tuple[Path, str]:
    """Make the app's OpenPGP signing key; returns its GnuPG home and fingerprint."""
    root = Path(app_dir).resolve()
    package = projects.package_name(app_name(root / "pyproject.toml"))
    folder = home(package)
    if folder.resolve().is_relative_to(root):
        raise PyshellError(f"the APT key would be written to {folder}, inside the app folder; "
                           "point XDG_CONFIG_HOME outside it")
    if folder.exists() and not force:
        raise PyshellError(f"{folder} already exists; pass --force to replace it (users who "
                           "added the old keyring will refuse the repository until they add "
                           "the new one)")
    _need_gpg()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.parent.chmod(0o700)
    # Made aside, then put in place: a failure keeps the old key and leaves nothing half-made.
    fresh = Path(tempfile.mkdtemp(prefix=f".{package}.", dir=folder.parent))
    try:
        with _short(fresh) as gnupg:
            try:
                _gpg(gnupg, "--quick-generate-key", f"{package} APT archive signing key",
                     "ed25519", "sign", "never")
                key = fingerprint(gnupg)
            finally:
                _stop_agent(gnupg)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(fresh, folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return folder, key


def fingerprint(folder: Path) -> str:
    listing = _gpg(folder, "--with-colons", "--list-secret-keys")
    prints = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    if not prints:
        raise PyshellError(f"{folder} holds no secret key; run `pyshell keys new --apt --force`")
    return prints[0]


def signing_home(package: str) -> Path:
    """The GnuPG home that signs this app's repository, or a line saying what to do."""
    folder = home(package)
    if not folder.is_dir():
        raise PyshellError(f"no APT signing key at {folder}; run `pyshell keys new --apt` (or "
                           "copy this app's key folder there from the machine that made it)")
    if folder.stat().st_mode & 0o077:
        raise PyshellError(f"{folder} can be read by other users; run `chmod 700 {folder}`")
    _need_gpg()
    return folder


def sign(folder: Path, release: Path, keyring: Path) -> None:
    """Write ``InRelease`` (clearsigned) and ``Release.gpg`` (detached) beside ``release``,
    and the public key, binary as ``signed-by=`` wants it, to ``keyring``."""
    with _short(folder) as gnupg:
        try:
            key = fingerprint(gnupg)
            common = ("--local-user", key, "--digest-algo", "SHA512")
            _gpg(gnupg, *common, "--clearsign", "--output",
                 str(release.with_name("InRelease")), str(release))
            _gpg(gnupg, *common, "--armor", "--detach-sign", "--output",
                 str(release.with_name("Release.gpg")), str(release))
            keyring.write_bytes(_gpg_bytes(gnupg, "--export", key))
        finally:
            _stop_agent(gnupg)


@contextlib.contextmanager
def _short(folder: Path) -> Iterator[Path]:
    """``folder`` under a short name (a link in a private temporary folder): gpg-agent puts
    its socket in the GnuPG home when there is no /run/user/UID, and a socket path must fit
    in 108 bytes, which a home deep in the user's config folder may not."""
    aside = Path(tempfile.mkdtemp(prefix="psg"))  # mode 0700
    link = aside / "h"
    link.symlink_to(folder.resolve(), target_is_directory=True)
    try:
        yield link
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _need_gpg() -> None:
    if shutil.which("gpg") is None:
        raise PyshellError("gpg not found; install GnuPG (Debian: apt-get install gpg)")


def _gpg(folder: Path, *args: str) -> str:
    return _gpg_bytes(folder, *args).decode("utf-8", "replace")


def _gpg_bytes(folder: Path, *args: str) -> bytes:
    proc = subprocess.run(["gpg", "--batch", "--quiet", "--yes", "--no-tty",
                           "--pinentry-mode", "loopback", "--passphrase", "", *args],
                          capture_output=True, env=_env(folder))
    if proc.returncode != 0:
        last = stderr_line(proc.stderr.decode("utf-8", "replace"),
                           f"exit code {proc.returncode}")
        raise PyshellError(f"gpg failed: {last}")
    return proc.stdout


def _stop_agent(folder: Path) -> None:
    """gpg leaves an agent running for its home; a build leaves nothing behind."""
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=_env(folder), capture_output=True)


def _env(folder: Path) -> dict[str, str]:
    return dict(os.environ, GNUPGHOME=str(folder), LC_ALL="C")
