"""Child processes: the ``pyshell`` command line, its one-line errors, harness findings."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

PYSHELL = [sys.executable, "-m", "pyshell.cli"]


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PYSHELL, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str,
                          progress: bool = False) -> None:
    """A user mistake: non-zero exit, exactly one line on stderr, no traceback.

    ``progress``: the command may print progress lines (``pyshell: ...``) before the error.
    """
    assert proc.returncode != 0, proc
    lines = proc.stderr.strip().splitlines()
    if progress:
        lines = [ln for ln in lines if not (ln.startswith(("pyshell: ", "  "))
                                            and not ln.startswith("pyshell: error: "))]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("pyshell: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def findings(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """What a window harness found: its ``FINDINGS {json}`` line, once it exited 0."""
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("FINDINGS ")), None)
    assert line is not None, proc.stderr[-3000:]
    found: dict[str, Any] = json.loads(line.removeprefix("FINDINGS "))
    return found


def read_until(stream: IO[str], needle: str, timeout: float = 60) -> list[str]:
    """The lines of a child's ``stream`` up to the first that holds ``needle`` (read on a
    thread, so that a child that never says it fails the test instead of hanging it)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line)
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no {needle!r} in {timeout} s:\n{''.join(lines)[-3000:]}"
    return lines
