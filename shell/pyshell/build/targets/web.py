"""The app as a static web site: any static host, a normal browser, no pyshell server.

Differences from the desktop app, all decided here and in the worker's web mode:

- no SharedArrayBuffer (static hosts often cannot send COOP/COEP), so no shared-memory
  file transport; nothing else in pyshell needs it;
- ``{appdata}`` grants live in the browser's origin-private file system (OPFS), mounted at
  the same path and flushed after every event handler; other grants cannot reach host
  folders from a web page, so they are not mounted and ``pyshell.files.refused()`` lists
  them with the reason;
- no native dialogs (``files.DialogUnavailable``), no terminal log (the browser console).
"""

from __future__ import annotations

import html
import json
import shutil

from ... import bundle
from ...resources import WASM_RUNTIME_DIR
from ...security import WEB_CSP
from ...server import inject_head
from ..context import Context
from ..files import copy_tree, gzip_bytes, walk
from ..report import Artifact, describe

SNIPPET = (
    '<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
    '<meta name="pyshell-config" content="{config}">\n'
    '<script type="module" src="_pyshell/wasm/loader.mjs"></script>\n'
)
WASM_FILES = ("loader.mjs", "worker.mjs", "protocol.mjs", "fs.mjs", "fs-transport.mjs",
              "fs-io.mjs")


class Web:
    name = "web"
    help = "static web site (no server, no SharedArrayBuffer; files in browser storage)"

    def build(self, ctx: Context) -> list[Artifact]:
        project, app = ctx.project, ctx.project.app
        site = ctx.stage / "web" / f"{project.package}-{project.version}-web"
        ctx.say("writing the static web build")
        copy_tree(app.ui_dir, site)
        own = site / "_pyshell"
        (own / "wasm").mkdir(parents=True)
        for name in WASM_FILES:
            shutil.copyfile(WASM_RUNTIME_DIR / name, own / "wasm" / name)
        shutil.copytree(ctx.bundle() / "runtime", own / "runtime")
        (own / "bundle.zip").write_bytes(bundle.build_zip(app))
        if ctx.packages.lock is not None and ctx.packages.names:
            shutil.copytree(ctx.bundle() / "wheels", own / "packages")
            (own / "packages" / "pyodide-lock.json").write_text(
                json.dumps(ctx.packages.pyodide_lock(), indent=1, sort_keys=True))
        index = (app.ui_dir / "index.html").read_text(encoding="utf-8")
        (site / "index.html").write_text(inject_head(index, _snippet(ctx)), encoding="utf-8")
        transferred = sum(len(gzip_bytes(p.read_bytes())) for p in walk(site) if p.is_file())
        final = ctx.dist / site.name
        return [ctx.emit(site, final, describe(self.name, site, site, final=final,
                                               extra={"gzip-transferred": transferred}))]


def web_config(ctx: Context) -> dict:
    """The page's boot config in the web build (see the module docstring)."""
    app = ctx.project.app
    kept, refused = [], []
    for perm in app.permissions:
        if perm.path.startswith("{appdata}"):
            kept.append({"mount": perm.mount, "writable": perm.writable})
        else:
            refused.append({"mount": perm.mount, "reason": (
                f"the web build cannot reach host folders ({perm.path}); only {{appdata}} "
                "grants are kept, in the browser's own storage")})
    names = ctx.packages.names
    return {"entry": app.entry, "bundle": "_pyshell/bundle.zip", "runtime": "_pyshell/runtime/",
            "log": None, "fs": None, "dialog": None, "fsSocket": None, "fsFastPath": False,
            "dev": None, "grants": [], "browserGrants": kept, "refused": refused,
            "packages": {"lock": "_pyshell/packages/pyodide-lock.json", "names": names}
            if names else None}


def _snippet(ctx: Context) -> str:
    return SNIPPET.format(csp=WEB_CSP, config=html.escape(json.dumps(web_config(ctx)),
                                                          quote=True))

