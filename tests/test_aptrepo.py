"""`pyshell build --target apt-repo`: a signed APT repository, read by the real apt.

apt runs against the repository as a `file:` source with its own lists, cache and source
list in a temporary folder: the system's apt configuration is never touched. Two builds
(0.1.0, then 0.2.0 published over it) are made once for the module.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from kit.procs import assert_one_line_error, run_cli
from pyshell import scaffold

EPOCHS = ("1700000000", "1700086400")


def env_for(root: Path, epoch: str) -> dict[str, str]:
    return dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), SOURCE_DATE_EPOCH=epoch)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The template app's repository at 0.1.0 (copied aside) and at 0.2.0 (in dist/)."""
    root = tmp_path_factory.mktemp("aptrepo")
    app = scaffold.create("apt-tasks", target=root / "apt-tasks")
    toml = app / "pyproject.toml"
    toml.write_text(toml.read_text().replace(
        "[tool.pyshell]\n", '[tool.pyshell]\napt-url = "https://apt.example.org/apt-tasks"\n', 1))
    proc = run_cli("keys", "new", str(app), "--apt", env=env_for(root, EPOCHS[0]))
    assert proc.returncode == 0, proc.stderr
    built = {}
    for version, epoch in zip(("0.1.0", "0.2.0"), EPOCHS, strict=True):
        toml.write_text(toml.read_text().replace('version = "0.1.0"', f'version = "{version}"'))
        proc = run_cli("build", str(app), "--target", "apt-repo", env=env_for(root, epoch),
                       timeout=600)
        assert proc.returncode == 0, proc.stderr
        built[version] = root / version
        shutil.copytree(app / "dist" / "apt-tasks-apt", built[version])
    return {"root": root, "app": app, **built}


class Apt:
    """apt-get and apt-cache on one `file:` source, with state kept under ``home``."""

    def __init__(self, home: Path, repo: Path, keyring: Path) -> None:
        for folder in ("lists/partial", "cache/archives/partial"):
            (home / folder).mkdir(parents=True, exist_ok=True)
        (home / "sources.list").write_text(f"deb [signed-by={keyring}] file:{repo} stable main\n")
        status = home / "status"  # dpkg's own, plus apt-tasks 0.1.0 as if installed
        status.write_text(Path("/var/lib/dpkg/status").read_text() + (
            "\nPackage: apt-tasks\nStatus: install ok installed\nPriority: optional\n"
            "Section: utils\nMaintainer: Test <test@localhost>\nArchitecture: all\n"
            "Version: 0.1.0\nDescription: installed before\n"))
        self.options = [f"-oDir::Etc::sourcelist={home / 'sources.list'}",
                        "-oDir::Etc::sourceparts=-", f"-oDir::State::Lists={home / 'lists'}",
                        f"-oDir::Cache={home / 'cache'}", "-oAPT::Get::List-Cleanup=0",
                        f"-oDir::State::status={status}", "-oAPT::Sandbox::User=root"]

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool, *self.options, *args], capture_output=True, text=True,
                              env=dict(os.environ, LC_ALL="C"), timeout=60)

    def candidate(self) -> str:
        policy = self.run("apt-cache", "policy", "apt-tasks").stdout
        return next(line.split()[1] for line in policy.splitlines()
                    if line.strip().startswith("Candidate:"))


def publish(repo: Path, where: Path) -> None:
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(repo, where)


def test_apt_installs_from_the_repository_then_upgrades_to_the_new_version(
        repos: dict[str, Path], tmp_path: Path) -> None:
    served = tmp_path / "served"
    publish(repos["0.1.0"], served)
    apt = Apt(tmp_path / "apt", served, served / "apt-tasks-archive-keyring.gpg")
    update = apt.run("apt-get", "update")
    assert update.returncode == 0 and "W:" not in update.stderr, update.stderr
    assert apt.candidate() == "0.1.0"
    publish(repos["0.2.0"], served)  # the developer uploads the next build over it
    update = apt.run("apt-get", "update")
    assert update.returncode == 0 and "W:" not in update.stderr, update.stderr
    assert apt.candidate() == "0.2.0"
    upgrade = apt.run("apt-get", "--simulate", "upgrade")
    assert "Inst apt-tasks [0.1.0] (0.2.0 " in upgrade.stdout, upgrade.stdout + upgrade.stderr
    fetched = apt.run("apt-get", "install", "--download-only", "--yes", "apt-tasks")
    assert fetched.returncode == 0, fetched.stderr  # its size and SHA256 matched Packages
    # 0.1.0 stayed in the pool and the index: a user can still go back to it.
    versions = apt.run("apt-cache", "madison", "apt-tasks").stdout
    assert [line.split("|")[1].strip() for line in versions.splitlines()] == ["0.2.0", "0.1.0"]
    back = apt.run("apt-get", "install", "--download-only", "--yes", "--allow-downgrades",
                   "apt-tasks=0.1.0")
    assert back.returncode == 0, back.stderr


def test_a_tampered_index_fails_the_hash_check(repos: dict[str, Path], tmp_path: Path) -> None:
    served = tmp_path / "served"
    publish(repos["0.2.0"], served)
    index = served / "dists/stable/main/binary-all/Packages"
    index.write_text(index.read_text().replace("Version: 0.2.0", "Version: 9.0.0"))
    (served / "dists/stable/main/binary-all/Packages.gz").write_bytes(
        gzip.compress(index.read_bytes(), mtime=0))
    apt = Apt(tmp_path / "apt", served, served / "apt-tasks-archive-keyring.gpg")
    update = apt.run("apt-get", "update")
    assert update.returncode != 0 and "Hash Sum mismatch" in update.stderr, update.stderr
    assert apt.candidate() == "0.1.0"  # the installed one: the repository gave nothing


def test_a_repository_signed_with_another_key_is_refused(
        repos: dict[str, Path], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # A short home: gpg-agent's socket path must fit in 108 bytes when /run/user is absent.
    other = Path(tempfile.mkdtemp(prefix="apt-other-"))
    request.addfinalizer(lambda: shutil.rmtree(other, ignore_errors=True))
    proc = run_cli("keys", "new", str(repos["app"]), "--apt",
                   env=dict(os.environ, XDG_CONFIG_HOME=str(other)))
    assert proc.returncode == 0, proc.stderr
    keyring = tmp_path / "other.gpg"
    keyring.write_bytes(subprocess.run(
        ["gpg", "--batch", "--export"], capture_output=True, check=True,
        env=dict(os.environ, GNUPGHOME=str(other / "pyshell/keys/apt-tasks.gnupg"))).stdout)
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], capture_output=True,
                   env=dict(os.environ, GNUPGHOME=str(other / "pyshell/keys/apt-tasks.gnupg")))
    apt = Apt(tmp_path / "apt", repos["0.2.0"], keyring)
    update = apt.run("apt-get", "update")
    assert update.returncode != 0 and "NO_PUBKEY" in update.stderr, update.stderr
    assert apt.candidate() == "0.1.0"  # the installed one: the repository gave nothing


def test_index_files_and_the_sources_file(repos: dict[str, Path]) -> None:
    repo = repos["0.2.0"]
    release = (repo / "dists/stable/Release").read_text()
    assert "Date: Wed, 15 Nov 2023 22:13:20 GMT\n" in release  # SOURCE_DATE_EPOCH
    assert "Architectures: all\nComponents: main\n" in release
    packages = (repo / "dists/stable/main/binary-all/Packages").read_bytes()
    assert f" {hashlib.sha256(packages).hexdigest()} {len(packages):>8} main/binary-all/" \
           "Packages\n" in release
    deb = (repo / "pool/main/apt-tasks_0.2.0_all.deb").read_bytes()
    assert f"SHA256: {hashlib.sha256(deb).hexdigest()}\n".encode() in packages
    assert b"Depends: python3 (>= 3.11), python3-gi" in packages
    assert (repo / "apt-tasks.sources").read_text() == (
        "Types: deb\nURIs: https://apt.example.org/apt-tasks\nSuites: stable\n"
        "Components: main\nSigned-By: /usr/share/keyrings/apt-tasks-archive-keyring.gpg\n")
    assert (repo / "dists/stable/InRelease").read_text().startswith(
        "-----BEGIN PGP SIGNED MESSAGE-----")
    gnupg = repos["root"] / "config/pyshell/keys/apt-tasks.gnupg"
    assert gnupg.stat().st_mode & 0o777 == 0o700
    check = subprocess.run(["gpgv", "--keyring", str(repo / "apt-tasks-archive-keyring.gpg"),
                            str(repo / "dists/stable/Release.gpg"),
                            str(repo / "dists/stable/Release")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_no_key_is_one_line_naming_the_command(tmp_path: Path) -> None:
    app = scaffold.create("no-key", target=tmp_path / "no-key")
    proc = run_cli("build", str(app), "--target", "apt-repo",
                   env=dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config")))
    assert_one_line_error(proc, "no APT signing key", "pyshell keys new --apt", progress=True)
    proc = run_cli("keys", "new", str(app), "--apt",
                   env=dict(os.environ, XDG_CONFIG_HOME=str(app / "config")))
    assert_one_line_error(proc, "inside the app folder")


def test_a_bad_apt_url_is_one_line_naming_the_key(tmp_path: Path) -> None:
    app = scaffold.create("bad-url", target=tmp_path / "bad-url")
    toml = app / "pyproject.toml"
    toml.write_text(toml.read_text().replace(
        "[tool.pyshell]\n", '[tool.pyshell]\napt-url = "ftp://example.org/apt"\n', 1))
    proc = run_cli("build", str(app), "--target", "apt-repo",
                   env=dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config")))
    assert_one_line_error(proc, "[tool.pyshell] apt-url must be an https:// address",
                          "'ftp://example.org/apt'", progress=True)
