"""How the window proves it is the app's window, without any secret in a public response.

The server never hands a secret to a request that does not already carry one. The window
is opened on a *launch URL* holding a single-use code (``/_pyshell/launch/CODE``); the
server redeems it once, answers with a redirect to the page and an ``HttpOnly;
SameSite=Strict`` cookie holding the session secret, and from then on every request of
that window (page, worker fetches, XHR, WebSockets) carries the cookie. A second load of
the launch URL, or a request without the cookie, is refused. Page reloads keep working:
the cookie lasts as long as the window's (private) browsing session.

Cookies ignore ports, so the cookie's name carries the port: two apps open in one browser
each keep their own.
"""

from __future__ import annotations

import hmac
import secrets
import threading

LAUNCH_PREFIX = "/_pyshell/launch/"
# Codes minted and never redeemed (a browser that never opened): kept bounded.
_MAX_PENDING_CODES = 64


class Session:
    """One server's session secret and its outstanding launch codes."""

    def __init__(self, port: int) -> None:
        self.cookie_name = f"pyshell-{port}"
        self._secret = secrets.token_urlsafe(32)
        self._codes: list[str] = []
        self._lock = threading.Lock()  # codes are minted on the launcher's thread

    def new_code(self) -> str:
        """A fresh single-use launch code; the oldest unredeemed ones expire first."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes = [*self._codes[-(_MAX_PENDING_CODES - 1):], code]
        return code

    def redeem(self, code: str) -> bool:
        """True once per code: the code is forgotten as it is accepted."""
        with self._lock:
            for known in self._codes:
                if hmac.compare_digest(known.encode(), code.encode()):
                    self._codes.remove(known)
                    return True
        return False

    def set_cookie(self) -> str:
        """The Set-Cookie value: no Expires (gone with the browsing session), never readable
        by page scripts, never sent by another site's page."""
        return f"{self.cookie_name}={self._secret}; HttpOnly; SameSite=Strict; Path=/"

    def cookie_header(self) -> str:
        """What a client of this session sends (tests and tools acting as the window)."""
        return f"{self.cookie_name}={self._secret}"

    def valid(self, cookie_header: str | None) -> bool:
        """Whether a Cookie header carries this session's secret. Any cookie of that name
        counts: another server on 127.0.0.1 can add one of the same name (cookies ignore
        ports), which must not lock the window out."""
        return any(hmac.compare_digest(value.encode(), self._secret.encode())
                   for value in cookie_values(cookie_header, self.cookie_name))

    def holds_secret(self, text: str) -> bool:
        """Whether ``text`` contains the session secret (for tests of what responses leak)."""
        return self._secret in text


def cookie_values(header: str | None, name: str) -> list[str]:
    """Every value of cookie ``name`` in a Cookie header."""
    values = []
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            values.append(value)
    return values
