"""Web addresses leave the app only for the user's browser, and only those it declared.

The app asks through ``pyshell.shell`` (or a clicked link the page caught) on this route;
the window reports where it was sent when it refused to leave the app (``window_left``).
Either way an address opens only if it matches [tool.pyshell.permissions] open-urls;
anything else is one terminal line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security, urls

PATH = security.API_PREFIX + "open-url"
Opener = Callable[[str], bool]  # shows an address in the user's browser


class Links:
    """The app's declared open-urls, and what opens them (default: ``webbrowser``, which
    honours $BROWSER)."""

    def __init__(self, patterns: tuple[urls.UrlPattern, ...], say: Callable[[str], None],
                 opener: Opener | None = None) -> None:
        self.patterns, self._say = patterns, say
        self._opener = opener or _system_browser

    def open(self, url: str, clicked: bool) -> bool:
        """Open ``url`` in the user's browser if the app declared it; else one terminal line.

        The browser starts on a thread of its own: it may take a moment."""
        how = "a clicked link to" if clicked else "opening"
        if not urls.allowed(url, self.patterns):
            self._say(f"pyshell: refused {how} {urls.printable(url)} (not in "
                      "[tool.pyshell.permissions] open-urls)")
            return False
        threading.Thread(target=self._opener, args=(url,), name="pyshell-open-url",
                         daemon=True).start()
        return True

    def window_left(self, url: str, clicked: bool) -> None:
        """The window was sent off the app (a link, a meta refresh, a script) and stayed:
        a clicked link goes to the browser if declared; anything else is one line."""
        if clicked:
            self.open(url, clicked=True)
        else:
            self._say(f"pyshell: the window stays on the app; it was sent to "
                      f"{urls.printable(url)}")


def routes(links: Links) -> list[BaseRoute]:
    async def open_url(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            url, clicked = body["url"], bool(body.get("clicked"))
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad open-url request", status_code=400)
        if not isinstance(url, str):
            return PlainTextResponse("bad open-url request", status_code=400)
        if not links.open(url, clicked=clicked):
            return JSONResponse({"error": f"{urls.printable(url)} is not in "
                                          "[tool.pyshell.permissions] open-urls"})
        return JSONResponse({"opened": True})

    return [Route(PATH, open_url, methods=["POST"])]


def _system_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)
