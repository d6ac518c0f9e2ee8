from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import assert_one_line_error, run_cli
from pyshell import config
from pyshell.errors import PyshellError


def write(root: Path, text: str) -> Path:
    """An app whose pyproject.toml is ``text``."""
    return write_app(root, "def main():\n    pass\n", files={"pyproject.toml": text})


def test_defaults(tmp_path: Path) -> None:
    app = config.load(write(tmp_path, '[project]\nname = "notes"\nversion = "1.2"\n'))
    assert (app.name, app.version, app.entry) == ("notes", "1.2", "app.main:main")
    assert app.entry_module == "app.main" and app.entry_function == "main"
    assert app.packages == ("app",)
    assert app.window.title == "notes" and app.window.width == 960
    assert app.ui_dir == tmp_path / "ui"


def test_window_table(tmp_path: Path) -> None:
    app = config.load(write(tmp_path, '[project]\nname = "n"\n[tool.pyshell.window]\n'
                            'title = "Notes"\nwidth = 500\nheight = 400\nresizable = false\n'
                            'background = "#101010"\n'))
    w = app.window
    assert (w.title, w.width, w.height, w.resizable, w.background) == (
        "Notes", 500, 400, False, "#101010")


@pytest.mark.parametrize(("toml", "needle"), [
    ('[project]\nname = "n"\n[tool.pyshell.window]\nwidth = "wide"\n', "width"),
    ('[project]\nname = "n"\n[tool.pyshell.window]\nwidht = 3\n', "unknown key 'widht'"),
    ('[project]\nname = "n"\n[tool.pyshell]\nentry = "app main"\n', "entry"),
    ('[project]\nname = "n"\n[tool.pyshell]\nui = "../elsewhere"\n', "ui"),
    ('[project]\nname = "n"\n[tool.pyshell]\nui = "missing"\n', "ui"),
    ('[project]\nname = "n"\n[tool.pyshell.window]\nresizable = "yes"\n', "resizable"),
    ('[project]\nname = "n"\n[tool.pyshell.window]\nbackground = "red"\n', "background"),
    ('[project]\nversion = "1"\n', "name"),
    ('[tool.pyshell]\n', "[project]"),
    ('[project\n', "invalid TOML"),
    ('[project]\nname = "n"\n[tool.pyshell]\npackages = ["nope"]\n', "packages"),
])
def test_errors_name_the_key(tmp_path: Path, toml: str, needle: str) -> None:
    with pytest.raises(PyshellError) as info:
        config.load(write(tmp_path, toml))
    message = str(info.value)
    assert needle in message and "\n" not in message


def test_missing_pyproject(tmp_path: Path) -> None:
    with pytest.raises(PyshellError, match="pyproject.toml: not found"):
        config.load(tmp_path)


PERM = '[project]\nname = "n"\n[[tool.pyshell.permissions.fs]]\n'


def test_permissions(tmp_path: Path) -> None:
    app = config.load(write(tmp_path, PERM + 'path = "{appdata}"\nmount = "/data"\nmode = "rw"\n'
                            '[[tool.pyshell.permissions.fs]]\npath = "~/x"\nmount = "/x"\n'))
    assert [(p.path, p.mount, p.writable) for p in app.permissions] == [
        ("{appdata}", "/data", True), ("~/x", "/x", False)]


@pytest.mark.parametrize(("toml", "needle"), [
    (PERM + 'path = "a"\nmount = "/data"\nmode = "rwx"\n', "mode must be 'ro' or 'rw'"),
    (PERM + 'path = "a"\nmount = "data"\n', "mount must be an absolute path"),
    (PERM + 'path = "a"\nmount = "/lib/x"\n', "would hide /lib"),
    (PERM + 'path = "a"\nmount = "/data"\nwritable = true\n', "unknown key 'writable'"),
    (PERM + 'mount = "/data"\n', "path is missing"),
    (PERM + 'path = "a"\nmount = "/d"\n[[tool.pyshell.permissions.fs]]\npath = "b"\n'
     'mount = "/d/e"\n', "must not nest"),
    ('[project]\nname = "n"\n[tool.pyshell.permissions]\nnet = true\n', "unknown key 'net'"),
])
def test_permission_errors_name_the_key(tmp_path: Path, toml: str, needle: str) -> None:
    with pytest.raises(PyshellError) as info:
        config.load(write(tmp_path, toml))
    assert needle in str(info.value) and "[tool.pyshell.permissions" in str(info.value)


@pytest.mark.parametrize(("path", "needle"), [
    ("{nowhere}/x", "unknown placeholder {nowhere}"),
    ("missing-folder", "folder for /data not found (add create = true to make it)"),
    ("app/main.py", "is a file, not a folder"),
    ("../../nowhere-at-all", "/nowhere-at-all"),  # resolved, not echoed as written
])
def test_bad_grant_folders_stop_the_launch(tmp_path: Path, path: str, needle: str) -> None:
    write(tmp_path, PERM + f'path = "{path}"\nmount = "/data"\n')
    proc = run_cli("run", str(tmp_path), "--gui", "gtk")
    assert_one_line_error(proc, needle, "[[tool.pyshell.permissions.fs]]")


def test_create_makes_a_missing_folder_and_needs_rw(tmp_path: Path) -> None:
    from pyshell import permissions

    app = config.load(write(tmp_path, PERM + 'path = "{documents}/Journal"\nmount = "/j"\n'
                                            'mode = "rw"\ncreate = true\n'))
    docs = tmp_path / "docs"
    grants = permissions.grants(app, {"documents": docs, "appdata": tmp_path / "ad"})
    assert grants[0].root == (docs / "Journal").resolve() and grants[0].root.is_dir()
    with pytest.raises(PyshellError, match="create = true needs mode"):
        config.load(write(tmp_path, PERM + 'path = "x"\nmount = "/j"\ncreate = true\n'))
