"""Desktop notifications for the app: only if it declared them
(``[tool.pyshell.permissions] notifications = true``), checked here on the host."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import security
from ..notifier import NotificationsUnavailable, Notifier

PATH = security.API_PREFIX + "notify"
UNDECLARED = ("notifications are not declared: add notifications = true to "
              "[tool.pyshell.permissions] in pyproject.toml")


def routes(notifier: Notifier | None) -> list[BaseRoute]:
    """``notifier``: None when the app did not declare notifications."""
    async def notify(request: Request) -> Response:
        try:
            title, body, icon, actions = _request(json.loads(await request.body()))
        except (ValueError, KeyError, TypeError):
            return PlainTextResponse("bad notify request", status_code=400)
        if notifier is None:
            return JSONResponse({"error": UNDECLARED, "permission": True})
        try:
            number = await run_in_threadpool(notifier.notify, title, body, icon, actions)
        except NotificationsUnavailable as exc:
            return JSONResponse({"error": str(exc), "unavailable": True})
        return JSONResponse({"id": number})

    return [Route(PATH, notify, methods=["POST"])]


def _request(value: Any) -> tuple[str, str, str | None, list[tuple[str, str]]]:
    title, body, icon = value["title"], value["body"], value.get("icon")
    actions = [(key, label) for key, label in value.get("actions", [])]
    texts = [title, body, *(part for pair in actions for part in pair)]
    if not all(isinstance(t, str) for t in texts) or not (icon is None or isinstance(icon, str)):
        raise TypeError("notify fields must be strings")
    return title, body, icon, actions
