"""File types and URL schemes: what they declare, and the one-line errors for bad ones.

The packaged side (the installed .deb answering ``xdg-mime``, Briefcase's document types)
is tested in tests/test_build.py on the built template app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.apps import write_app
from kit.procs import assert_one_line_error, run_cli
from pyshell import associations, config
from pyshell.build import launchers, project
from pyshell.build.targets import deb
from pyshell.errors import PyshellError

HEAD = '[project]\nname = "Mark Pad"\n[tool.pyshell]\n'
DECLARED = HEAD + '''url-schemes = ["markpad", "Mark.Pad+x"]
[[tool.pyshell.file-types]]
extensions = [".MD", "markdown"]
mime-type = "text/markdown"
description = "Markdown <notes>"
role = "editor"
icon = "doc.svg"
[[tool.pyshell.file-types]]
extensions = ["mpad"]
[[tool.pyshell.file-types]]
mime-type = "text/csv"
'''


def write(root: Path, text: str) -> Path:
    app = write_app(root, "def main():\n    pass\n", files={"pyproject.toml": text})
    (app / "doc.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return app


def test_declarations_are_normalised(tmp_path: Path) -> None:
    app = config.load(write(tmp_path, DECLARED))
    assert app.url_schemes == ("markpad", "mark.pad+x")
    md, own, csv = app.file_types
    assert md.extensions == ("md", "markdown") and md.editor and md.icon == tmp_path / "doc.svg"
    assert own.extensions == ("mpad",) and own.role == "viewer" and own.mime_type is None
    assert own.mime("mark-pad") == "application/x-mark-pad-mpad"
    assert own.description == "mpad file" and csv.description == "text/csv file"
    assert associations.file_type_of("/x/Notes.MARKDOWN", app.file_types) is md
    assert associations.file_type_of("/x/notes.txt", app.file_types) is None
    assert associations.file_type_of("/x/md", app.file_types) is None


def test_urls_are_checked_against_the_declared_schemes(tmp_path: Path) -> None:
    schemes = config.load(write(tmp_path, DECLARED)).url_schemes
    assert associations.check_url("MarkPad://open?x=1", schemes) == "MarkPad://open?x=1"
    with pytest.raises(PyshellError) as info:
        associations.check_url("https://example.com/", schemes)
    assert "does not open https URLs" in str(info.value) and "url-schemes" in str(info.value)


def test_desktop_entry_and_mime_package_name_every_type(tmp_path: Path) -> None:
    proj = project.load(write(tmp_path, DECLARED))
    entry = launchers.desktop_entry(proj, "mark-pad", "mark-pad")
    assert "Exec=mark-pad %U\n" in entry
    assert ("MimeType=text/markdown;application/x-mark-pad-mpad;text/csv;"
            "x-scheme-handler/markpad;x-scheme-handler/mark.pad+x;\n") in entry
    xml = deb.mime_info(proj)
    assert '<mime-type type="text/markdown">' in xml and "Markdown &lt;notes&gt;" in xml
    assert '<glob pattern="*.markdown"/>' in xml and '<glob pattern="*.mpad"/>' in xml
    assert '<icon name="mark-pad-text-markdown"/>' in xml
    assert "text/csv" not in xml  # known to the system already: nothing to add
    files_only = project.load(write(tmp_path / "f", HEAD + '[[tool.pyshell.file-types]]\n'
                                                          'extensions = ["mpad"]\n'))
    assert "Exec=mark-pad %F\n" in launchers.desktop_entry(files_only, "mark-pad", "mark-pad")
    plain = project.load(write(tmp_path / "p", HEAD))
    entry = launchers.desktop_entry(plain, "mark-pad", "mark-pad")
    assert "Exec=mark-pad\n" in entry and "MimeType" not in entry


@pytest.mark.parametrize(("toml", "needles"), [
    ('[[tool.pyshell.file-types]]\ndescription = "Notes"\n',
     ["[[tool.pyshell.file-types]]", "needs extensions, a mime-type, or both"]),
    ('[[tool.pyshell.file-types]]\nmime-type = "markdown"\n', ["mime-type 'markdown'"]),
    ('[[tool.pyshell.file-types]]\nmime-type = "text/mark down"\n', ["'text/mark down'"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["tar.gz"]\n', ["'tar.gz'", "letters and digits"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["md"]\nrole = "owner"\n', ["role", "'owner'"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["md"]\nicon = "missing.png"\n',
     ["icon:", "missing.png not found"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["md"]\nicon = "doc.gif"\n', ["'doc.gif'"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["md"]\nicon = "../doc.svg"\n',
     ["inside the app folder"]),
    ('[[tool.pyshell.file-types]]\nextensions = ["md"]\n[[tool.pyshell.file-types]]\n'
     'extensions = [".MD"]\n', ["'md' is declared twice"]),
    ('[[tool.pyshell.file-types]]\nextension = ["md"]\n', ["unknown key 'extension'"]),
    ('url-schemes = ["http"]\n', ["url-schemes", "'http'", "belongs to the system"]),
    ('url-schemes = ["FILE"]\n', ["'FILE'", "belongs to the system"]),
    ('url-schemes = ["myapp://"]\n', ["'myapp://'", "is not a URI scheme"]),
    ('url-schemes = ["2app"]\n', ["'2app'", "is not a URI scheme"]),
    ('url-schemes = "myapp"\n', ["url-schemes must be a list"]),
])
def test_bad_declarations_are_one_line_at_load(tmp_path: Path, toml: str,
                                               needles: list[str]) -> None:
    with pytest.raises(PyshellError) as info:
        config.load(write(tmp_path / "app", HEAD + toml))
    message = str(info.value)
    assert all(n in message for n in needles) and "\n" not in message, message


@pytest.mark.parametrize("command", ["run", "build"])
def test_pyshell_run_and_build_stop_on_a_bad_declaration(tmp_path: Path, command: str) -> None:
    app = write(tmp_path, HEAD + 'url-schemes = ["javascript"]\n')
    proc = run_cli(command, str(app))
    assert_one_line_error(proc, "url-schemes: 'javascript' belongs to the system")
