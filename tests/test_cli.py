from pathlib import Path

from conftest import assert_one_line_error, run_cli


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
