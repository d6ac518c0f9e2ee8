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

import json
import shutil

from ... import bundle
from ...contract import BootConfig, BrowserGrant, PackageSet, RefusedGrant, head_tags, inject_head
from ...resources import WASM_RUNTIME_DIR
from ...security import WEB_CSP
from ..context import Context
from ..files import copy_tree, gzip_bytes, walk
from ..report import Artifact, describe


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
        # All of them: the page's and the worker's modules import one another.
        for module in sorted(WASM_RUNTIME_DIR.glob("*.mjs")):
            shutil.copyfile(module, own / "wasm" / module.name)
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


def web_config(ctx: Context) -> BootConfig:
    """The page's boot config in the web build (see the module docstring)."""
    app = ctx.project.app
    kept: list[BrowserGrant] = []
    refused: list[RefusedGrant] = []
    for perm in app.permissions:
        if perm.path.startswith("{appdata}"):
            kept.append(BrowserGrant(perm.mount, perm.writable))
        else:
            refused.append(RefusedGrant(perm.mount, (
                f"the web build cannot reach host folders ({perm.path}); only {{appdata}} "
                "grants are kept, in the browser's own storage")))
    lock = ctx.packages.lock
    return BootConfig(entry=app.entry, bundle="_pyshell/bundle.zip", runtime="_pyshell/runtime/",
                      browser_grants=tuple(kept), refused=tuple(refused),
                      packages=PackageSet.of("_pyshell/packages/pyodide-lock.json",
                                             lock.packages if lock else ()))


def _snippet(ctx: Context) -> str:
    return head_tags(web_config(ctx), "_pyshell/wasm/loader.mjs", csp=WEB_CSP)
