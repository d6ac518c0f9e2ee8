"""The loopback app server: the app's files, the runtime and the API, on 127.0.0.1 only.

Starlette routes run under uvicorn in a background thread, so the main thread stays free
for the GUI toolkit's event loop. Every request passes ``guard`` first (Host, Origin, the
window's session cookie, the token on ``/_pyshell/api/``, body limits) and every
connection ``connections`` (same user only, a connection cap, timeouts).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import mimetypes
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import (
    bundle,
    capabilities,
    connections,
    contract,
    fileservice,
    fsapi,
    security,
    snapshots,
    terminal,
    urls,
)
from .config import AppConfig
from .contract import inject_head
from .deps.service import Packages, prepare
from .dev.reload import Hub
from .dialogs import DialogProvider, Picker
from .errors import PyshellError
from .fileservice import FileService
from .guard import Guard
from .resources import WASM_RUNTIME_DIR
from .runtime import RUNTIME_FILES, Runtime
from .session import LAUNCH_PREFIX, Session
from .snapshots import SnapshotRefused, SnapshotStore, SnapshotUpload

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")

LogSink = Callable[[str, str], None]
_API = "/_pyshell/api/"


def print_sink(stdout: TextIO | None = None, stderr: TextIO | None = None) -> LogSink:
    """Forward the app's print() and tracebacks to this process's terminal."""

    def sink(stream: str, text: str) -> None:
        out = (stderr or sys.stderr) if stream == "stderr" else (stdout or sys.stdout)
        text = terminal.safe(text)  # no escape sequence from the app reaches the terminal
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()

    return sink


class AppServer:
    """One app served on a random loopback port with a per-launch token."""

    def __init__(self, app: AppConfig, runtime: Runtime, log: LogSink | None = None,
                 folders: dict[str, Path] | None = None, dev: Hub | None = None,
                 on_dev_report: Callable[[dict[str, Any]], None] | None = None,
                 packages: Packages | None = None, snapshot_dir: Path | None = None,
                 opener: Callable[[str], bool] | None = None) -> None:
        """``folders`` overrides the placeholder folders ({appdata}, ...), e.g. in tests.

        ``packages``: the app's locked wheels; by default prepared here (see ``deps``).
        ``snapshot_dir``: where start-up snapshots are kept (default: the user cache).
        ``opener``: shows a web address in the user's browser (default: ``webbrowser``,
        which honours $BROWSER); only addresses the app declared in open-urls reach it.
        """
        self.app = app
        self.packages = packages if packages is not None else prepare(app, runtime)
        # Start-up snapshots (see ``snapshots``); off: every launch boots Pyodide cold.
        self.snapshots: SnapshotStore | None = SnapshotStore(
            app.name, lambda: snapshots.key(runtime, self.packages, app),
            root=snapshot_dir) if app.snapshot else None
        # Before the file service exists, so that its handle cap can follow the raised limit.
        self._fd_limit = connections.raise_fd_limit()
        self.files = FileService(_grants(app, folders),
                                 max_handles=fileservice.handle_cap(self._fd_limit))
        self.picker = Picker(self.files)
        # Off: every file operation uses synchronous XHR (as where SharedArrayBuffer is missing).
        self.fs_fast_path = True
        self.dev = dev  # dev mode only: the reload channel exists only when this is set
        self._on_dev_report = on_dev_report or (lambda report: None)
        self.runtime = runtime
        self._opener = opener or _system_browser
        self._url_patterns = app.url_patterns
        self.token = secrets.token_urlsafe(32)
        self._log = log or print_sink()
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it Nagle + delayed ACK cost 40 ms per response.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.session = Session(self.port)
        # Per-connection rules (see ``connections``); None: the defaults for this process's
        # descriptor limit, raised at start.
        self.connection_limits: connections.Limits | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The app's origin; opening it needs the session (see ``launch_url``)."""
        return f"http://127.0.0.1:{self.port}/"

    def launch_url(self, page: str = "/") -> str:
        """A single-use link that lets one browser (the window) into the app at ``page``."""
        query = "" if page == "/" else "?" + urlencode({"to": page})
        return f"http://127.0.0.1:{self.port}{LAUNCH_PREFIX}{self.session.new_code()}{query}"

    def credentials(self) -> dict[str, str]:
        """The headers that make a client the app's window, for tests and tools in-process."""
        return {"cookie": self.session.cookie_header(), security.TOKEN_HEADER: self.token}

    def asgi(self) -> ASGIApp:
        routes = [
            Route("/", self._index),
            Route("/index.html", self._index),
            Route("/_pyshell/api/bundle.zip", self._bundle),
            Route("/_pyshell/api/log", self._log_route, methods=["POST"]),
            Route("/_pyshell/api/fs", self._fs_route, methods=["POST"]),
            WebSocketRoute("/_pyshell/api/fs-socket", self._fs_socket),
            WebSocketRoute("/_pyshell/api/dev", self._dev_socket),
            Route("/_pyshell/api/dialog", self._dialog_route, methods=["POST"]),
            Route("/_pyshell/api/open-url", self._open_url_route, methods=["POST"]),
            Route("/_pyshell/api/snapshot/{engine}", self._snapshot_route,
                  methods=["GET", "PUT", "DELETE"]),
            Route("/_pyshell/runtime/{name}", self._runtime_file),
            Route("/_pyshell/packages/{name}", self._package_file),
            Mount("/_pyshell/wasm", StaticFiles(directory=WASM_RUNTIME_DIR)),
            Route("/_pyshell/{rest:path}", _not_found),
            Mount("/", StaticFiles(directory=self.app.ui_dir)),
        ]
        return Guard(Starlette(routes=routes), self.port, self.token, self.session,
                     lambda line: self._log("stderr", line))

    def start(self) -> None:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        limits = self.connection_limits or connections.Limits(
            max_connections=connections.connection_cap(self._fd_limit))
        limits = dataclasses.replace(limits, log=lambda line: self._log("stderr", line))
        config = uvicorn.Config(self.asgi(), log_level="warning", access_log=False,
                                lifespan="off", timeout_keep_alive=60, ws="websockets-sansio",
                                ws_max_size=32 * 1024 * 1024,
                                # Loopback only: compressing file data (engines offer
                                # permessage-deflate) cost more than everything else on it.
                                ws_per_message_deflate=False,
                                http=connections.protocol_for(limits),
                                backlog=connections.accept_backlog(limits.max_connections))
        self._server = _Server(config, limits.log)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name="pyshell-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the app server failed to start")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sock.close()
        self.files.close_all()

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _index(self, request: Request) -> Response:
        page = (self.app.ui_dir / "index.html").read_text(encoding="utf-8")
        tags = contract.head_tags(self.boot_config(), "/_pyshell/wasm/loader.mjs",
                                  token=self.token)
        return HTMLResponse(inject_head(page, tags))

    def boot_config(self) -> contract.BootConfig:
        """What this server offers the page: every API route, read fresh per page load (the
        grants grow with dialogs; a test may turn the file fast path off)."""
        sockets = f"ws://127.0.0.1:{self.port}{_API}"
        lock = self.packages.lock
        return contract.BootConfig(
            entry=self.app.entry, bundle=_API + "bundle.zip", runtime="/_pyshell/runtime/",
            log=_API + "log", fs=_API + "fs", fs_socket=sockets + "fs-socket",
            fs_fast_path=self.fs_fast_path, dialog=_API + "dialog", open_url=_API + "open-url",
            dev=sockets + "dev" if self.dev else None,
            snapshot=_API + "snapshot/" if self.snapshots else None,
            snapshot_imports=tuple(snapshots.imports(self.app, self.packages))
            if self.snapshots else (),
            grants=tuple(contract.Grant(g.id, g.mount, g.writable, g.only)
                         for g in self.files.grants()),
            packages=contract.PackageSet.of("/_pyshell/packages/pyodide-lock.json",
                                            lock.packages if lock else ()))

    async def _bundle(self, request: Request) -> Response:
        return Response(bundle.build_zip(self.app), media_type="application/zip")

    async def _log_route(self, request: Request) -> Response:
        try:
            body: Any = json.loads(await request.body())
            stream, text = body["stream"], body["text"]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad log message", status_code=400)
        if stream not in ("stdout", "stderr") or not isinstance(text, str):
            return PlainTextResponse("bad log message", status_code=400)
        self._log(stream, text)
        return Response(status_code=204)

    def use_dialogs(self, provider: DialogProvider | None) -> None:
        """Let the app open native file dialogs (the launcher passes the window's)."""
        self.picker.provider = provider

    async def _dialog_route(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            kind, writable = body["kind"], bool(body.get("write"))
            name, types = str(body.get("name", "")), [str(t) for t in body.get("types", [])]
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad dialog request", status_code=400)
        try:
            result = await run_in_threadpool(self.picker.pick, kind, writable, name, types)
        except (LookupError, ValueError) as exc:
            return JSONResponse({"error": str(exc)})
        return JSONResponse({"picked": result})

    async def _open_url_route(self, request: Request) -> Response:
        """The app asks to show a web address in the user's browser (``pyshell.shell``, or
        a clicked link the page caught): only what open-urls declares is opened."""
        try:
            body = json.loads(await request.body())
            url, clicked = body["url"], bool(body.get("clicked"))
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad open-url request", status_code=400)
        if not isinstance(url, str):
            return PlainTextResponse("bad open-url request", status_code=400)
        if not self.open_external(url, clicked=clicked):
            return JSONResponse({"error": f"{urls.printable(url)} is not in "
                                          "[tool.pyshell.permissions] open-urls"})
        return JSONResponse({"opened": True})

    def open_external(self, url: str, clicked: bool) -> bool:
        """Open ``url`` in the user's browser if the app declared it; else one terminal line.

        Called for the page's requests and by the window when it refuses to leave the app;
        the browser starts on a thread of its own (it may take a moment)."""
        how = "a clicked link to" if clicked else "opening"
        if not urls.allowed(url, self._url_patterns):
            self._log("stderr", f"pyshell: refused {how} {urls.printable(url)} (not in "
                                "[tool.pyshell.permissions] open-urls)")
            return False
        threading.Thread(target=self._opener, args=(url,), name="pyshell-open-url",
                         daemon=True).start()
        return True

    def window_left(self, url: str, clicked: bool) -> None:
        """The window was sent off the app (a link, a meta refresh, a script) and stayed:
        a clicked link goes to the browser if declared; anything else is one line."""
        if clicked:
            self.open_external(url, clicked=True)
        else:
            self._log("stderr", f"pyshell: the window stays on the app; it was sent to "
                                f"{urls.printable(url)}")

    async def _fs_route(self, request: Request) -> Response:
        return await fsapi.handle(request, self.files)

    async def _fs_socket(self, ws: WebSocket) -> None:
        try:
            await fsapi.serve_socket(ws, self.files, self.token)
        except WebSocketDisconnect:  # gone (or timed out) before sending its token
            pass

    async def _dev_socket(self, ws: WebSocket) -> None:
        """Reload messages to the page, its reports back; token first, as on every socket."""
        if self.dev is None:
            await ws.close(code=4404)
            return
        await ws.accept()
        try:
            first = await ws.receive_text()
        except WebSocketDisconnect:  # gone (or timed out) before sending its token
            return
        if not security.token_valid(first, self.token):
            await ws.close(code=4401)
            return
        queue = self.dev.subscribe()
        await ws.send_text(contract.DEV_CONNECTED.encode())

        async def forward() -> None:
            while True:
                await ws.send_text(await queue.get())

        sender = asyncio.create_task(forward())
        try:
            while True:
                report = json.loads(await ws.receive_text())
                if isinstance(report, dict):
                    self._on_dev_report(report)
        except (WebSocketDisconnect, ValueError):
            pass
        finally:
            sender.cancel()
            self.dev.unsubscribe(queue)

    async def _runtime_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in RUNTIME_FILES:
            raise HTTPException(404)
        return FileResponse(self.runtime.file(name))

    async def _snapshot_route(self, request: Request) -> Response:
        """GET: this engine's snapshot or 404; PUT: store a new one; DELETE: drop it."""
        store, engine = self.snapshots, request.path_params["engine"]
        if store is None or store.path(engine) is None:
            raise HTTPException(404)
        if request.method == "PUT":
            try:
                await self._receive_snapshot(request, store.upload(engine))
            except SnapshotRefused as exc:
                self._log("stderr", f"pyshell: start-up snapshot not stored ({exc})")
                raise HTTPException(400, f"pyshell: snapshot refused: {exc}") from None
            return Response(status_code=204)
        if request.method == "DELETE":
            store.discard(engine)
            return Response(status_code=204)
        try:
            data = await run_in_threadpool(store.load, engine)
        except SnapshotRefused as exc:
            self._log("stderr", f"pyshell: start-up snapshot unusable ({exc}); booting cold "
                                "and making a new one")
            raise HTTPException(404) from None
        if data is None:
            raise HTTPException(404)
        # The inflated size, from the gzip trailer: the page refuses a snapshot whose
        # length differs (a file cut short on disk), before restoring anything from it.
        size = int.from_bytes(data[-4:], "little")
        return Response(data, media_type="application/octet-stream",
                        headers={"content-encoding": "gzip", "x-pyshell-size": str(size)})

    @staticmethod
    async def _receive_snapshot(request: Request, upload: SnapshotUpload) -> None:
        """Stream the body into ``upload`` in 1 MiB pieces, inflated off the event loop;
        the body is never held whole (the guard caps its size, the upload its inflation)."""
        try:
            pending = bytearray()
            async for chunk in request.stream():
                pending += chunk
                if len(pending) >= 1 << 20:
                    await run_in_threadpool(upload.write, bytes(pending))
                    pending.clear()
            await run_in_threadpool(upload.write, bytes(pending))
            await run_in_threadpool(upload.commit)
        finally:
            upload.abort()

    async def _package_file(self, request: Request) -> Response:
        """The app's locked wheels (checked against the lock at launch) and their lock."""
        name = request.path_params["name"]
        if name == "pyodide-lock.json" and self.packages.lock is not None:
            return JSONResponse(self.packages.pyodide_lock())
        path = self.packages.files.get(name)
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, media_type="application/zip")


class _Server(uvicorn.Server):
    """uvicorn's server, with the event loop's resource errors as one line (see
    ``connections.quiet_loop_errors``)."""

    def __init__(self, config: uvicorn.Config, log: Callable[[str], None]) -> None:
        super().__init__(config)
        self._log_line = log

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        connections.quiet_loop_errors(asyncio.get_running_loop(), self._log_line)
        await super().serve(sockets)


def _system_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


def _grants(app: AppConfig, folders: dict[str, Path] | None) -> list[capabilities.Grant]:
    declared = [(p.path, p.mount, p.writable) for p in app.permissions]
    if not declared:
        return []
    try:
        return capabilities.build_grants(declared, app.root,
                                         folders or capabilities.standard_folders(app.name))
    except (ValueError, OSError) as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PyshellError(f"pyproject.toml: [[tool.pyshell.permissions.fs]] {reason}{where}"
                           ) from None


async def _not_found(request: Request) -> Response:
    raise HTTPException(404)
