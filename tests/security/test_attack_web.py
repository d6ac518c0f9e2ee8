"""Group 1: a hostile web page in the same browser as the app, while the app is open.

The browser already holds the window's session cookie (the app was opened in the same
browser context, as in ``pyshell run --browser``). Three hostile origins try everything a
page can do towards the app server: another port of 127.0.0.1 (same site, so the cookie
even travels), ``localhost`` (another site), and a DNS-rebinding name that resolves to
127.0.0.1 (so its requests reach the server as "same-origin" for the browser). They must
read nothing, change nothing, and the app must keep working.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyshell.testing import CHROMIUM_ARGS, chromium_path, start_server, wait_until_started

pytestmark = pytest.mark.page
REBIND = "rebind.test"

ATTACK = r"""
async ([target, wsTarget, engine]) => {
  const out = {};
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  async function tryFetch(name, url, init) {
    try {
      const r = await fetch(url, { credentials: "include", ...init });
      out[name] = r.type === "opaque" ? "opaque" : `${r.status} ${(await r.text()).slice(0, 80)}`;
    } catch (e) { out[name] = "error"; }
  }
  const body = JSON.stringify({ stream: "stdout", text: "written by the attacker" });
  await tryFetch("page", target + "/");
  await tryFetch("page-no-cors", target + "/", { mode: "no-cors" });
  await tryFetch("bundle", target + "/_pyshell/api/bundle.zip", { mode: "no-cors" });
  await tryFetch("log", target + "/_pyshell/api/log", { method: "POST", mode: "no-cors", body });
  await tryFetch("log-token", target + "/_pyshell/api/log",
                 { method: "POST", body, headers: { "x-pyshell-token": "guess" } });
  await tryFetch("fs", target + "/_pyshell/api/fs?op=listdir",
                 { method: "POST", mode: "no-cors", body: "" });
  await tryFetch("snapshot", target + "/_pyshell/api/snapshot/" + engine,
                 { method: "PUT", mode: "no-cors", body: "planted" });
  await tryFetch("launch", target + "/_pyshell/launch/guess", { mode: "no-cors" });
  out.socket = await new Promise((resolve) => {
    const ws = new WebSocket(wsTarget + "/_pyshell/api/fs-socket");
    ws.onopen = () => { ws.send("guess"); resolve("open"); };
    ws.onerror = () => resolve("error");
    setTimeout(() => resolve("timeout"), 5000);
  });
  out.script = await new Promise((resolve) => {
    const s = document.createElement("script");
    s.type = "module";
    s.src = target + "/_pyshell/wasm/loader.mjs";
    s.onload = () => resolve("loaded");
    s.onerror = () => resolve("error");
    document.head.append(s);
  });
  const frame = document.createElement("iframe");
  frame.src = target + "/";
  document.body.append(frame);
  const form = document.createElement("form");  // a top-level cross-site POST
  form.method = "POST";
  form.action = target + "/_pyshell/api/log";
  form.target = "sink";
  form.innerHTML = '<input name="stream" value="stdout">';
  const sink = document.createElement("iframe");
  sink.name = "sink";
  document.body.append(sink, form);
  form.submit();
  await wait(1500);
  try { out.frame = frame.contentDocument ? "readable" : "closed"; } catch (e) { out.frame = "closed"; }
  return out;
}
"""


@pytest.fixture(scope="module")
def browser(pyshell_browser) -> Iterator:
    """Chromium whose resolver sends ``rebind.test`` to 127.0.0.1 (a rebound DNS name)."""
    launched = pyshell_browser.browser_type.launch(executable_path=chromium_path(), args=[
            *CHROMIUM_ARGS, f"--host-resolver-rules=MAP {REBIND} 127.0.0.1",
            # Newer Chromium stops public pages from reaching loopback at all; the server
            # must hold without that help (other engines, older browsers).
            "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,"
            "PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests"])
    yield launched
    launched.close()


@pytest.fixture
def hostile_site() -> Iterator[int]:
    """A plain web server on another port of 127.0.0.1 serving the attacker's page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<!doctype html><html><head></head><body>attacker</body></html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_hostile_pages_get_nothing_while_the_app_runs(browser, hostile_site: int, app_dir: Path,
                                                      pyshell_folders, tmp_path: Path) -> None:
    server = start_server(app_dir, pyshell_folders, snapshot_dir=tmp_path / "snaps")
    engine = "ab" * 12
    app_origin = f"http://127.0.0.1:{server.port}"
    try:
        context = browser.new_context()
        app = context.new_page()
        app.goto(server.launch_url())
        wait_until_started(app)
        assert context.cookies()  # the session cookie is in this browser
        data_before = sorted(p.name for p in pyshell_folders["appdata"].rglob("*"))
        logs_before = list(server.logs)  # type: ignore[attr-defined]
        statuses: list[tuple[str, int]] = []
        results = {}
        for origin in (f"http://127.0.0.1:{hostile_site}", f"http://localhost:{hostile_site}",
                       f"http://{REBIND}:{server.port}"):
            page = context.new_page()
            page.on("response", lambda r: statuses.append((r.url, r.status)))
            if REBIND in origin:  # the attacker's own page, served before DNS flips
                page.route(f"{origin}/attack.html", lambda route: route.fulfill(
                    status=200, content_type="text/html",
                    body="<!doctype html><html><head></head><body>rebound</body></html>"))
            page.goto(f"{origin}/attack.html")
            target = origin if REBIND in origin else app_origin
            results[origin] = page.evaluate(ATTACK, [target, target.replace("http", "ws"),
                                                     engine])
            page.close()
        # The app itself still works in its own tab.
        app.fill("#new-title", "still mine")
        app.press("#new-title", "Enter")
        app.locator("#list .task", has_text="still mine").wait_for()
        context.close()
    finally:
        server.stop()
    for origin, found in results.items():
        readable = {k: v for k, v in found.items() if v not in ("error", "opaque", "closed")}
        if REBIND in origin:  # same-origin for the browser: readable answers, all refusals
            assert all(v.startswith("403 pyshell: refused: unexpected Host header")
                       for k, v in readable.items() if k not in ("socket", "script")), found
            assert found["socket"] == "error" and found["script"] == "error", found
        else:
            assert readable == {}, (origin, found)
    ours = [(url, status) for url, status in statuses if f":{server.port}/" in url
            and "/attack.html" not in url]
    assert len(ours) >= 10 and all(status in (401, 403) for _, status in ours), ours
    assert any(REBIND in url for url, _ in ours)  # the rebound name really reached the server
    new_logs = server.logs[len(logs_before):]  # type: ignore[attr-defined]
    assert not [t for _, t in new_logs if "attacker" in t or "guess" in t], new_logs
    assert not list((tmp_path / "snaps").rglob(f"*{engine}*"))  # nothing planted
    data_after = sorted(p.name for p in pyshell_folders["appdata"].rglob("*"))
    assert set(data_before) <= set(data_after)  # only the app's own save changed its data
