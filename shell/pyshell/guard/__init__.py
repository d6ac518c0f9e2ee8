"""The app server's front door: every request and WebSocket passes these middlewares first.

One ASGI middleware per module, in Starlette's manner (headers read with
``Headers(scope=...)``, answers sent as Starlette responses). Outermost first:

- ``headers.SecurityHeaders``: the security headers on every HTTP answer, refusals too;
- ``origin.SameOrigin``: one Host, this server's exact address; no other origin (DNS
  rebinding, other sites);
- ``launch.LaunchExchange``: a single-use launch link gives the window its session cookie;
- ``window.WindowOnly``: that cookie on every route, the page included; the token on the API;
- ``sockets.TokenDeadline``: a WebSocket's first message (its token) comes within seconds;
- ``body.BodyLimit``: a body limit per route, enforced while the body streams in.

Connection-level rules (same user, a cap, timeouts) come before any of this, in
``connections``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp

from .. import security
from ..session import Session
from .body import BodyLimit
from .headers import SecurityHeaders
from .launch import LaunchExchange
from .origin import SameOrigin
from .sockets import TokenDeadline
from .window import WindowOnly


def protect(app: ASGIApp, port: int, token: str, session: Session,
            log: Callable[[str], None]) -> ASGIApp:
    """``app`` behind every check, in the order above; ``log`` gets one line per refused body."""
    app = BodyLimit(app, log)
    app = TokenDeadline(app)
    app = WindowOnly(app, session, token)
    app = LaunchExchange(app, session)
    app = SameOrigin(app, port)
    return SecurityHeaders(app, security.security_headers(port))
