"""The runtime cache: pinned, verified, offline after the first fetch."""

import os
import shutil
import tarfile
import time
from pathlib import Path

import pytest

from kit.procs import assert_one_line_error, run_cli
from pyshell import runtime
from pyshell.errors import PyshellError


def test_cached_runtime_has_only_what_apps_need() -> None:
    rt = runtime.cached()
    assert rt is not None, "run scripts/setup.sh first"
    names = {p.name for p in rt.path.iterdir() if not p.name.startswith(".")}
    assert names == set(runtime.RUNTIME_FILES)
    assert rt.python_version.startswith("3.")


def test_integrity_mismatch_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "pyodide-314.0.7.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        data = tmp_path / "pyodide.mjs"
        data.write_text("export const evil = 1;")
        tar.add(data, arcname="package/pyodide.mjs")
    with pytest.raises(PyshellError, match="integrity check failed"):
        runtime.verify(fake, runtime.PYODIDE_INTEGRITY)


def test_tampered_cache_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = runtime.cached()
    assert rt is not None
    copy = tmp_path / "pyodide" / runtime.PYODIDE_VERSION
    shutil.copytree(rt.path, copy)
    (copy / ".pyshell-complete").write_text("sha512-something-else\n")
    monkeypatch.setenv("PYSHELL_CACHE_DIR", str(tmp_path))
    assert runtime.cached() is None


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """An empty pyshell cache, an empty npm cache and a registry nobody listens on (npm's
    own retry settings left as a user has them: minutes of retries)."""
    env = dict(os.environ, PYSHELL_CACHE_DIR=str(tmp_path / "cache"),
               npm_config_cache=str(tmp_path / "npm-cache"),
               npm_config_registry="http://127.0.0.1:9/")
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        env.pop(proxy, None)
    return env


def test_missing_runtime_offline_says_so_at_once_and_gives_up_in_seconds(
        tmp_path: Path, app_dir: Path) -> None:
    started = time.monotonic()
    proc = run_cli("run", str(app_dir), "--gui", "gtk", env=_offline_env(tmp_path))
    assert time.monotonic() - started < 30  # npm alone retries for over a minute
    assert proc.stderr.startswith(f"pyshell: fetching Pyodide {runtime.PYODIDE_VERSION} with npm")
    assert_one_line_error(proc, "cannot fetch Pyodide", "unreachable", "pyshell runtime fetch",
                          progress=True)
    assert not (tmp_path / "cache" / "pyodide" / runtime.PYODIDE_VERSION).exists()


def test_missing_npm_is_one_line(tmp_path: Path) -> None:
    env = _offline_env(tmp_path)
    bindir = tmp_path / "bin"  # a PATH with python but no npm
    bindir.mkdir()
    env["PATH"] = str(bindir)
    proc = run_cli("runtime", "fetch", env=env)
    assert_one_line_error(proc, "npm not found")


def test_offline_flag_never_downloads(tmp_path: Path) -> None:
    env = dict(_offline_env(tmp_path), PYSHELL_OFFLINE="1")
    assert_one_line_error(run_cli("runtime", "fetch", env=env), "not in the cache")
