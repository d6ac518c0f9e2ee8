"""The app's life: what runs when its window is asked to close, and when it quits.

For example:

    from pyshell import app

    @app.on_close
    def leaving():
        if unsaved and not confirmed:
            show_my_own_confirm_panel()
            return False   # the window stays open
        # anything else (None, True): the window may close

    @app.on_quit
    def save():
        write_what_is_unsaved()

When the user closes the window (or presses Ctrl-C, or the process gets SIGTERM), the host
first lets the handlers and timer runs already under way finish, then runs every
``on_close`` handler; if one returns ``False`` the window stays open. Otherwise every
``on_quit`` handler runs to its end, and then the window closes. All of this must fit in
the quit budget (``[tool.pyshell.window] quit-budget``, 5 seconds unless set): when it
runs out the window closes anyway. Handlers may be ``async``. File writes in grants are
on the host as soon as the call that made them returns.

Files and web addresses the app is opened with come to ``on_open`` handlers, both at
launch (``pyshell run APP FILE...``, an installed app's command line) and while it runs:
a second launch of the app hands them to the running copy and exits, and the window
comes to the front. Each file arrives as a read-only grant of its own:

    @app.on_open
    def opened(paths, urls):
        for path in paths:          # e.g. "/opened/1/notes.txt", readable with open()
            show(open(path).read())
        for url in urls:            # any text the user's launch passed: validate it
            ...

Files and folders the user drops on the window come to ``on_drop`` handlers, each a
grant of its own at ``/dropped/N`` (read-only unless the app declared ``drop = "rw"`` in
``[tool.pyshell.permissions]``):

    @app.on_drop
    def dropped(paths):
        for path in paths:
            import_file(path)

`pyshell dev` keeps these registrations in step with the code, like event handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .tracking import Tracker

CloseHandler = Callable[[], "bool | None | Awaitable[bool | None]"]
QuitHandler = Callable[[], "None | Awaitable[None]"]
OpenHandler = Callable[[list[str], list[str]], "None | Awaitable[None]"]
DropHandler = Callable[[list[str]], "None | Awaitable[None]"]

_close: dict[str, Callable[[], Any]] = {}
_quit: dict[str, Callable[[], Any]] = {}
_open: dict[str, Callable[..., Any]] = {}
_drop: dict[str, Callable[..., Any]] = {}


def _id(kind: str, func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}:{kind}"


def _register(table: dict[str, Callable[..., Any]], kind: str, func: Any) -> Any:
    if not callable(func):
        raise TypeError(f"@app.{kind} decorates a function, not {type(func).__name__}")
    key = _id(kind, func)
    table[key] = func
    _tracker.note(key)
    return func


def on_close(func: CloseHandler) -> CloseHandler:
    """Run ``func()`` when the window is asked to close; returning ``False`` keeps it open."""
    return _register(_close, "on_close", func)  # type: ignore[no-any-return]


def on_quit(func: QuitHandler) -> QuitHandler:
    """Run ``func()`` to its end before the app quits (within the quit budget)."""
    return _register(_quit, "on_quit", func)  # type: ignore[no-any-return]


def on_open(func: OpenHandler) -> OpenHandler:
    """Run ``func(paths=[...], urls=[...])`` when the app is opened with files or URLs."""
    return _register(_open, "on_open", func)  # type: ignore[no-any-return]


def on_drop(func: DropHandler) -> DropHandler:
    """Run ``func(paths)`` when the user drops files or folders on the window."""
    return _register(_drop, "on_drop", func)  # type: ignore[no-any-return]


def off(func: Callable[..., Any]) -> None:
    """Remove ``func`` from every list."""
    for table in (_close, _quit, _open, _drop):
        for key, registered in list(table.items()):
            if registered is func:
                del table[key]


def quit_handlers() -> list[Callable[[], Any]]:
    return list(_quit.values())


def close_handlers() -> list[Callable[[], Any]]:
    return list(_close.values())


def open_handlers() -> list[Callable[..., Any]]:
    return list(_open.values())


def drop_handlers() -> list[Callable[..., Any]]:
    return list(_drop.values())


def reset() -> None:
    """Forget every registration (a new app starts)."""
    _close.clear()
    _quit.clear()
    _open.clear()
    _drop.clear()


def registrations(modules: set[str]) -> set[str]:
    """Ids of the handlers registered by these modules (used by dev-mode reloads)."""
    return {key for key in (*_close, *_quit, *_open, *_drop) if key.split(":", 1)[0] in modules}


def _forget(key: str) -> None:
    for table in (_close, _quit, _open, _drop):
        table.pop(key, None)


_tracker = Tracker(_forget)  # dev reloads (pyshell.tracking)
start_tracking = _tracker.start
drop_untracked = _tracker.drop_untracked
