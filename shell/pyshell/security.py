"""The loopback server's security policy: headers, Host check, token check. Pure functions.

Why each Content-Security-Policy directive is there:

- ``default-src 'none'``: start from nothing; every capability below is opted into.
- ``script-src 'self' 'wasm-unsafe-eval'``: our module scripts, and compiling Pyodide's
  wasm. No ``'unsafe-eval'`` and no inline scripts: Python reaches the DOM through the
  bridge, never by injecting script.
- ``worker-src 'self'``: the module worker that hosts Pyodide.
- ``connect-src 'self' ws://127.0.0.1:PORT``: the runtime, the app bundle and the API, all
  same-origin, and the app server's own WebSockets (named explicitly: older WebKit does not
  let ``'self'`` match ``ws:``). Only this launch's port: no other local server.
- ``style-src 'self' 'unsafe-inline'``: apps set ``style=`` attributes and inline ``<style>``;
  CSS cannot run code, so this is the one relaxation.
- ``img-src/font-src/media-src 'self' data: blob:``: app assets and generated images.
- ``object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'``: no
  plugins, no base-URL hijack, no framing by other pages, no native form posts (the bridge
  delivers ``submit`` events to Python instead).
"""

from __future__ import annotations

import hmac

_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "connect-src 'self' ws://127.0.0.1:{port}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
)


def csp(port: int) -> str:
    """The app server's Content-Security-Policy for the port it listens on."""
    return "; ".join(_DIRECTIVES).format(port=port)


# The static web build: no loopback server to talk to; a <meta> policy cannot carry
# frame-ancestors, so the host's headers must add that if they can.
WEB_CSP = "; ".join(part for part in _DIRECTIVES
                    if not part.startswith(("connect-src", "frame-ancestors"))) \
    + "; connect-src 'self'"


def security_headers(port: int) -> tuple[tuple[str, str], ...]:
    """Headers on every response of the app server listening on ``port``."""
    return (
        # Cross-origin isolation: makes SharedArrayBuffer available where the engine has it.
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-embedder-policy", "require-corp"),
        # Other origins cannot embed or read our responses, even as images or scripts.
        ("cross-origin-resource-policy", "same-origin"),
        ("content-security-policy", csp(port)),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        # The port changes every launch, so a cache could never hit; in dev it would go stale.
        ("cache-control", "no-store"),
    )

TOKEN_HEADER = "x-pyshell-token"
API_PREFIX = "/_pyshell/api/"


def host_allowed(host: str | None, port: int) -> bool:
    """Only the exact bound address is accepted: a DNS-rebound name never matches."""
    return host == f"127.0.0.1:{port}"


def origin_allowed(origin: str | None, sec_fetch_site: str | None, port: int) -> bool:
    """Requests from another origin are refused even before the token is looked at."""
    if origin is not None and origin != f"http://127.0.0.1:{port}":
        return False
    return sec_fetch_site in (None, "same-origin", "none")


def token_valid(presented: str | None, token: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())
