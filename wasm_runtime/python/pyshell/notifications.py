"""Desktop notifications: a line of news outside the window, with buttons that call back.

    from pyshell import notifications

    def chosen(action):           # "open", "snooze", or "default" (the notification itself)
        ...

    await notifications.notify("Export done", "3 files in ~/Exports",
                               actions={"open": "Open folder", "snooze": "Later"},
                               on_action=chosen)

The app must declare them in ``pyproject.toml``:

    [tool.pyshell.permissions]
    notifications = true

Otherwise ``notify`` raises ``PermissionError``. Where the desktop shows none (no session
bus, no notification service) it raises ``NotificationsUnavailable`` at once. ``notify``
returns as soon as the notification is shown; a click comes later, to ``on_action``, like
an event's handler (it may be ``async``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .shell import _js

ActionHandler = Callable[[str], "None | Awaitable[None]"]
_ICON_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,100}$")
_handlers: dict[int, ActionHandler] = {}


class NotificationsUnavailable(RuntimeError):
    """This desktop shows no notifications (no session bus or notification service)."""


async def notify(title: str, body: str = "", *, icon: str | None = None,
                 actions: Mapping[str, str] | None = None,
                 on_action: ActionHandler | None = None) -> int:
    """Show a notification; its id. ``icon``: an icon name of the desktop's theme such as
    ``"dialog-information"``. ``actions``: key -> button label; ``on_action(key)`` runs
    when the user clicks one (``"default"``: the notification itself)."""
    actions = dict(actions or {})
    _check(title, body, icon, actions, on_action)
    request = {"title": title, "body": body, "icon": icon, "actions": list(actions.items())}
    answer = json.loads(await _js().notify(json.dumps(request)))
    if "error" in answer:
        if answer.get("permission"):
            raise PermissionError(answer["error"])
        raise NotificationsUnavailable(answer["error"])
    number = int(answer["id"])
    if on_action is not None:
        _handlers[number] = on_action
    return number


async def deliver(number: int, action: str) -> None:
    """A click on notification ``number`` (called by pyshell, from the host's event)."""
    handler = _handlers.get(number)
    if handler is None:
        return
    result = handler(action)
    if inspect.isawaitable(result):
        await result


def _check(title: Any, body: Any, icon: Any, actions: dict[Any, Any], on_action: Any) -> None:
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"notify() title must be a non-empty str, got {title!r}")
    if not isinstance(body, str):
        raise TypeError(f"notify() body must be a str, got {type(body).__name__}")
    if icon is not None and not (isinstance(icon, str) and _ICON_RE.match(icon)):
        raise ValueError(f"notify() icon must be an icon name such as 'dialog-information', "
                         f"got {icon!r}")
    for key, label in actions.items():
        if not (isinstance(key, str) and key and isinstance(label, str) and label):
            raise ValueError(f"notify() actions must map non-empty str keys to str labels, "
                             f"got {key!r}: {label!r}")
    if on_action is not None and not callable(on_action):
        raise TypeError(f"notify() on_action must be a function, not "
                        f"{type(on_action).__name__}")
