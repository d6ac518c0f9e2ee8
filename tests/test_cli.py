from pathlib import Path

import pytest

from kit.procs import assert_one_line_error, run_cli


def test_run_outside_an_app(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("run", cwd=tmp_path), "pyproject.toml", "not found")


def test_run_with_bad_config(app_dir: Path) -> None:
    path = app_dir / "pyproject.toml"
    path.write_text(path.read_text().replace("width = 920", 'width = "wide"'))
    assert_one_line_error(run_cli("run", str(app_dir)), "[tool.pyshell.window] width")


def test_unknown_gui(app_dir: Path) -> None:
    assert_one_line_error(run_cli("run", str(app_dir), "--gui", "cocoa"), "--gui")


def test_unknown_command() -> None:
    assert_one_line_error(run_cli("frobnicate"), "frobnicate")


def test_missing_argument() -> None:
    assert_one_line_error(run_cli("new"), "name")


def test_doctor_reports_runtime_and_engines() -> None:
    proc = run_cli("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Pyodide 314.0.7: cached" in proc.stdout
    assert "engine    qt: usable" in proc.stdout
    assert "engine    gtk: usable" in proc.stdout


@pytest.mark.parametrize(("old", "new", "needles"), [
    ('entry = "app.main:main"', 'entry = "app.main:mian"', ("app/main.py defines no 'mian'",)),
    ('entry = "app.main:main"', 'entry = "app.mane:main"', ("module 'app.mane' not found",)),
    ('snapshot-imports = ["app.tasks"]', 'snapshot-imports = ["app.taks"]',
     ("snapshot-imports", "'app.taks' not found")),
    ('snapshot-imports = ["app.tasks"]', 'snapshot-imports = ["markdwon"]',
     ("snapshot-imports", "no module 'markdwon'")),
])
@pytest.mark.parametrize("verb", ["run", "build"])
def test_missing_entry_or_snapshot_module_is_one_line_before_anything_starts(
        app_dir: Path, verb: str, old: str, new: str, needles: tuple[str, ...]) -> None:
    toml = app_dir / "pyproject.toml"
    assert old in toml.read_text()
    toml.write_text(toml.read_text().replace(old, new))
    proc = run_cli(verb, str(app_dir), timeout=120)
    assert_one_line_error(proc, *needles, progress=verb == "build")
    assert not (app_dir / "dist").exists()


def test_entry_defined_under_a_condition_or_imported_is_found(app_dir: Path) -> None:
    from pyshell import appcode, config

    main = app_dir / "app" / "main.py"
    main.write_text(main.read_text().replace("def main() -> None:", "def _main() -> None:")
                    + "\ntry:\n    main = _main\nexcept NameError:\n    pass\n")
    appcode.check(config.load(app_dir))  # no error: `main` is assigned at the top level


def test_the_line_of_stderr_that_says_why() -> None:
    from pyshell.errors import stderr_line

    assert stderr_line("", "exit code 2") == "exit code 2"
    assert stderr_line("  \n\n", "exit code 2") == "exit code 2"
    assert stderr_line("building\nfailed: disk full\n", "?") == "failed: disk full"
    npm = "npm notice x\nnpm error code E404\nnpm error 404 Not Found\nnpm notice y\n"
    assert stderr_line(npm, "?", marks=("npm error",), first=True) == "npm error code E404"
    assert stderr_line("no marks here\nlast\n", "?", marks=("ERROR",), first=True) == "no marks here"
    assert stderr_line("x" * 500, "?", limit=10) == "x" * 10
