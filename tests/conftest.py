"""Shared fixtures: fresh template apps, a virtual display, and where screenshots go.

Plain helpers (the app factory, the command line, waits...) are in the ``kit`` package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import REPO, display
from pyshell import scaffold

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A new app made from the template, as `pyshell new` makes it."""
    return scaffold.create("sample-tasks", target=tmp_path / "sample-tasks")


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pyshell cache of the test's own (wheels, snapshots) sharing the fetched runtime."""
    from pyshell import runtime

    rt = runtime.ensure()
    root = tmp_path / "cache"
    (root / "pyodide").mkdir(parents=True)
    (root / "pyodide" / rt.version).symlink_to(rt.path)
    monkeypatch.setenv("PYSHELL_CACHE_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private X display for real windows; yields its DISPLAY value."""
    try:
        with display.xvfb() as name:
            yield name
    except RuntimeError as e:  # no Xvfb at all
        pytest.fail(str(e))


@pytest.fixture(scope="session", autouse=True)
def own_state_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Windows remember their size and place in the user's state folder: the suite's apps
    (and the windows they start) use one of its own, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
        yield
