"""App dependencies: resolved with pip for Pyodide's platform, locked, cached, loaded offline.

Most tests here use a local package folder with pip's index switched off (``PIP_NO_INDEX``),
so they are fast and need no network; the page test resolves real packages from the
configured index once, then runs again with every network path closed.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import packaging.tags
import pytest

from kit.apps import run_app_page, write_app
from kit.procs import assert_one_line_error, run_cli
from pyshell import config, runtime
from pyshell.deps import service, wheels
from pyshell.deps.lock import LOCK_NAME
from pyshell.deps.target import WasmTarget
from pyshell.errors import PyshellError
from wheelmaker import make_wheel


@pytest.fixture
def cache(private_cache: Path) -> Path:
    return private_cache


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip sees only this folder: no index, no configured links."""
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def dep_app(root: Path, deps: list[str], main: str = "def main():\n    pass\n",
            tool: str = "") -> Path:
    listed = ", ".join(json.dumps(d) for d in deps)
    return write_app(root, main, tool, project=f'version = "1.0"\ndependencies = [{listed}]\n')


def distribution(root: Path, python: str | None = None) -> Path:
    """A folder laid out like a Pyodide release: pyodide-lock.json plus wheels.

    Pyodide's real compiled wheels cannot be downloaded here, so its packages are two pure
    wheels made by the test and listed in a lock the test writes.
    """
    info = dict(runtime.ensure().lock()["info"])
    if python:
        info["python"] = python
    b = make_wheel(root, "pyshell-dist-b", "2.0")
    a = make_wheel(root, "pyshell-dist-a", "1.0", requires=("pyshell-dist-b>=2",))
    packages = {}
    for path, name, version, depends in ((a, "pyshell-dist-a", "1.0", ["pyshell-dist-b"]),
                                         (b, "pyshell-dist-b", "2.0", [])):
        packages[name] = {"name": name, "version": version, "file_name": path.name,
                          "install_dir": "site", "sha256": wheels.sha256_of(path),
                          "package_type": "package", "imports": [name.replace("-", "_")],
                          "depends": depends, "unvendored_tests": False}
    (root / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": packages}))
    return root


def locked_names(app: Path) -> dict[str, dict]:
    return json.loads((app / LOCK_NAME).read_text())["packages"]


MAIN = '''
import importlib.util, json
import attrs, dateutil.parser, markdown, six
import pyshell_dist_a, pyshell_dist_b
from pyshell import dom

@attrs.frozen
class Note:
    title: str

def main():
    dom.select("#out").text = json.dumps({
        "attrs": repr(Note("x")),
        "date": dateutil.parser.parse("2024-03-05 10:20").isoformat(),
        "md": markdown.markdown("*hi*"),
        "dist": [pyshell_dist_a.NAME, pyshell_dist_b.VERSION],
        "six": six.PY3,
        "colorama": importlib.util.find_spec("colorama") is not None,
    })
'''


@pytest.mark.page
def test_real_packages_import_in_pyodide_and_a_second_run_needs_no_network(
        tmp_path: Path, cache: Path, pyshell_browser, monkeypatch: pytest.MonkeyPatch) -> None:
    distribution(tmp_path / "dist")
    app = dep_app(tmp_path / "app", ["attrs>=23", "python-dateutil", "markdown",
                                     "pyshell-dist-a",
                                     "six; sys_platform == 'emscripten'",
                                     "colorama; sys_platform != 'emscripten'"],
                  MAIN, 'pyodide-packages = "../dist"\n')
    out = io.StringIO()
    service.lock(config.load(app), runtime.ensure(), out)
    packages = locked_names(app)
    assert {"attrs", "python-dateutil", "markdown", "six", "pyshell-dist-a",
            "pyshell-dist-b"} <= set(packages), out.getvalue()
    assert "colorama" not in packages  # its marker is false on emscripten, true on this host
    assert packages["pyshell-dist-a"]["depends"] == ["pyshell-dist-b"]
    assert packages["pyshell-dist-a"]["tool"]["pyshell"]["origin"] == "pyodide"
    assert packages["attrs"]["tool"]["pyshell"]["origin"] == "index"
    assert "locked" in out.getvalue()

    # Second run: any download attempt would fail (offline, index unreachable, no links).
    monkeypatch.setenv("PYSHELL_OFFLINE", "1")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    shutil.rmtree(tmp_path / "dist")
    result = json.loads(run_app_page(pyshell_browser, app, tmp_path / "appdata"))
    assert result == {"attrs": "Note(title='x')", "date": "2024-03-05T10:20:00",
                      "md": "<p><em>hi</em></p>", "dist": ["pyshell-dist-a", "2.0"],
                      "six": True, "colorama": False}


def test_target_comes_from_the_runtime_lock() -> None:
    info = runtime.ensure().lock()["info"]
    target = WasmTarget.from_lock_info(info)
    assert target.platform_tag == f"pyemscripten_{info['abi_version']}_wasm32"
    assert target.python == info["python"]
    assert target.markers()["sys_platform"] == "emscripten"
    assert target.markers()["python_version"] == ".".join(info["python"].split(".")[:2])


def test_markers_are_evaluated_for_webassembly(tmp_path: Path, cache: Path,
                                               local_index: Path) -> None:
    make_wheel(local_index, "wasm-only")
    app = dep_app(tmp_path / "app", ["wasm-only; sys_platform == 'emscripten'",
                                     "host-only; sys_platform != 'emscripten'",
                                     "old-only; python_version < '3.12'"])
    service.lock(config.load(app), runtime.ensure(), io.StringIO())
    # host-only and old-only exist nowhere: resolving them would fail, so skipping them
    # shows the markers were evaluated for Pyodide's Python, not this 3.11 host.
    assert set(locked_names(app)) == {"wasm-only"}


def test_sdist_only_pure_package_is_built_into_a_wheel(tmp_path: Path, cache: Path,
                                                       local_index: Path) -> None:
    sdist(local_index, "sdist-only", "0.3")
    app = dep_app(tmp_path / "app", ["sdist-only"])
    out = io.StringIO()
    service.lock(config.load(app), runtime.ensure(), out)
    entry = locked_names(app)["sdist-only"]
    assert entry["file_name"] == "sdist_only-0.3-py3-none-any.whl"
    assert entry["tool"]["pyshell"]["origin"] == "sdist"
    assert entry["imports"] == ["sdist_only"]
    assert "built sdist_only-0.3-py3-none-any.whl" in out.getvalue()


def test_native_only_package_is_a_one_line_error(tmp_path: Path, cache: Path,
                                                 local_index: Path) -> None:
    host = next(iter(packaging.tags.sys_tags()))
    make_wheel(local_index, "native-only", tag=f"{host.interpreter}-{host.abi}-{host.platform}")
    app = dep_app(tmp_path / "app", ["native-only"])
    proc = run_cli("lock", str(app))
    assert_one_line_error(proc, "native-only", "C/Rust extensions", "pyodide-build",
                          progress=True)
    assert not (app / LOCK_NAME).exists()


def test_pyodide_compiled_package_without_a_source_names_the_setting(
        tmp_path: Path, cache: Path, local_index: Path) -> None:
    app = dep_app(tmp_path / "app", ["numpy"])
    proc = run_cli("lock", str(app))
    assert_one_line_error(proc, "numpy", "pyodide-packages", progress=True)


def test_dependency_that_is_a_pyodide_compiled_package_is_named(
        tmp_path: Path, cache: Path, local_index: Path) -> None:
    # Like jinja2 -> markupsafe: with several versions of the package that needs it, pip
    # backtracks through them and reports only "Cannot install needs-numpy==1.0 and ...".
    for version in ("1.0", "1.1", "1.2"):
        make_wheel(local_index, "needs-numpy", version, requires=("numpy>=1",))
    make_wheel(local_index, "one-version", requires=("numpy",))
    for dep in ("needs-numpy", "one-version"):
        proc = run_cli("lock", str(dep_app(tmp_path / dep, [dep])))
        assert_one_line_error(proc, f"{dep} depends on numpy", "Pyodide's compiled packages",
                              "pyodide-packages", progress=True)
        assert "Cannot install" not in proc.stderr


def test_dependency_missing_behind_a_conflict_is_supplied_from_the_distribution(
        tmp_path: Path, cache: Path, local_index: Path) -> None:
    distribution(tmp_path / "dist")
    for version in ("1.0", "1.1"):
        make_wheel(local_index, "needs-dist", version, requires=("pyshell-dist-b>=2",))
    app = dep_app(tmp_path / "app", ["needs-dist"], tool='pyodide-packages = "../dist"\n')
    service.lock(config.load(app), runtime.ensure(), io.StringIO())
    packages = locked_names(app)
    assert packages["needs-dist"]["version"] == "1.1"
    assert packages["pyshell-dist-b"]["tool"]["pyshell"]["origin"] == "pyodide"


def test_real_version_conflict_names_the_requirements(tmp_path: Path, cache: Path,
                                                      local_index: Path) -> None:
    make_wheel(local_index, "a-pkg", requires=("b-pkg<2",))
    make_wheel(local_index, "c-pkg", requires=("b-pkg>=2",))
    make_wheel(local_index, "b-pkg", "1.0")
    make_wheel(local_index, "b-pkg", "2.0")
    proc = run_cli("lock", str(dep_app(tmp_path / "app", ["a-pkg", "c-pkg"])))
    assert_one_line_error(proc, "conflicting requirements", "a-pkg needs b-pkg<2",
                          "c-pkg needs b-pkg>=2", progress=True)


def test_distribution_wheel_with_another_hash_is_refused(tmp_path: Path, cache: Path,
                                                         local_index: Path) -> None:
    dist = distribution(tmp_path / "dist")
    make_wheel(dist, "pyshell-dist-b", "2.0", files={"pyshell_dist_b/__init__.py": "EVIL = 1\n"})
    app = dep_app(tmp_path / "app", ["pyshell-dist-b"], tool='pyodide-packages = "../dist"\n')
    with pytest.raises(PyshellError, match="sha256"):
        service.lock(config.load(app), runtime.ensure(), io.StringIO())


def test_distribution_for_another_python_is_refused(tmp_path: Path, cache: Path,
                                                    local_index: Path) -> None:
    distribution(tmp_path / "dist", python="3.12.7")
    app = dep_app(tmp_path / "app", ["pyshell-dist-b"], tool='pyodide-packages = "../dist"\n')
    proc = run_cli("lock", str(app))
    assert_one_line_error(proc, "pyodide-packages", "3.12", progress=True)


def test_cached_wheel_that_differs_from_the_lock_is_refused(tmp_path: Path, cache: Path,
                                                            local_index: Path) -> None:
    make_wheel(local_index, "plain-pkg")
    app = dep_app(tmp_path / "app", ["plain-pkg"])
    service.lock(config.load(app), runtime.ensure(), io.StringIO())
    cached = next((cache / "wheels").glob("*/plain_pkg-1.0-py3-none-any.whl"))
    cached.write_bytes(cached.read_bytes() + b"tampered")
    proc = run_cli("run", str(app), "--browser", timeout=60)
    assert_one_line_error(proc, "plain_pkg-1.0-py3-none-any.whl",
                          "does not match pyshell-lock.json", progress=True)


def test_lock_whose_hash_differs_from_the_index_is_refused(tmp_path: Path, cache: Path,
                                                           local_index: Path) -> None:
    make_wheel(local_index, "plain-pkg")
    app = dep_app(tmp_path / "app", ["plain-pkg"])
    service.lock(config.load(app), runtime.ensure(), io.StringIO())
    data = json.loads((app / LOCK_NAME).read_text())
    data["packages"]["plain-pkg"]["sha256"] = "0" * 64
    (app / LOCK_NAME).write_text(json.dumps(data))
    with pytest.raises(PyshellError, match="(?i)hash"):
        service.prepare(config.load(app), runtime.ensure(), io.StringIO())


def test_changed_dependencies_relock_and_offline_says_what_to_do(
        tmp_path: Path, cache: Path, local_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_wheel(local_index, "plain-pkg")
    make_wheel(local_index, "other-pkg", "3.1")
    app = dep_app(tmp_path / "app", ["plain-pkg"])
    out = io.StringIO()
    first = service.prepare(config.load(app), runtime.ensure(), out)
    assert first.names == ["plain-pkg"] and "has no lock yet" in out.getvalue()
    dep_app(app, ["plain-pkg", "other-pkg==3.1"])
    out = io.StringIO()
    second = service.prepare(config.load(app), runtime.ensure(), out)
    assert second.names == ["other-pkg", "plain-pkg"]
    assert "dependencies changed" in out.getvalue()
    assert set(second.files) == {"other_pkg-3.1-py3-none-any.whl",
                                 "plain_pkg-1.0-py3-none-any.whl"}
    dep_app(app, ["other-pkg"])
    monkeypatch.setenv("PYSHELL_OFFLINE", "1")
    proc = run_cli("run", str(app), "--browser", timeout=60)
    assert_one_line_error(proc, "dependencies changed", "pyshell lock", progress=True)


def test_invalid_requirement_is_a_one_line_error(tmp_path: Path) -> None:
    app = dep_app(tmp_path / "app", ["attrs >>> 2"])
    assert_one_line_error(run_cli("lock", str(app)), "dependencies", "attrs >>> 2")


BACKEND = '''
"""A build backend with no requirements: the sdist builds with nothing from an index."""
import base64, hashlib, os, zipfile

NAME, VERSION = {name!r}, {version!r}

def digest(text):
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    module = NAME.replace("-", "_")
    dist = f"{{module}}-{{VERSION}}.dist-info"
    files = {{f"{{module}}/__init__.py": "BUILT = True\\n",
             f"{{dist}}/METADATA": f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n",
             f"{{dist}}/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}}
    rows = [f"{{p}},sha256={{digest(t)}},{{len(t)}}" for p, t in files.items()]
    files[f"{{dist}}/RECORD"] = "\\n".join(rows + [f"{{dist}}/RECORD,,"]) + "\\n"
    name = f"{{module}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return name
'''


def sdist(dest: Path, name: str, version: str) -> Path:
    """An sdist (no wheel published) whose in-tree backend builds a pure wheel."""
    base = f"{name.replace('-', '_')}-{version}"
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                          'backend-path = ["."]\n'
                          f'[project]\nname = "{name}"\nversion = "{version}"\n',
        "backend.py": BACKEND.format(name=name, version=version),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    path = dest / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path
