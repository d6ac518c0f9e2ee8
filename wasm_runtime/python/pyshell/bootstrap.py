"""What the worker calls, by name: ready the interpreter, start the app's entry point,
dispatch events, run timers, reload changed modules, report errors.

worker.mjs holds no Python source: every step it needs from Python is a function here,
where it is linted, typed and tested like the rest.

Errors are shown as the app's traceback: frames from pyshell and Pyodide internals are
dropped, because the author can only act on their own code.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import signal
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import app, dom, menus, notifications, tray, windows
from .transport import Transport, WorkerTransport

APP_ROOT = "/home/pyodide/app/"  # where worker.mjs unpacks the app; shown as relative paths
# pyshell's own modules that a start-up snapshot holds (none of them touches JS on import).
OWN_MODULES = ("pyshell.bootstrap", "pyshell.files", "pyshell.state")
# Frames not shown in the app's tracebacks: every module of pyshell's own (this folder),
# Pyodide's glue and the standard library's.
_OWN_FOLDER = os.path.dirname(os.path.abspath(__file__)) + os.sep
_INTERNAL_MARKERS = ("<exec>", "<frozen ", "/lib/python3")


_entry = ""
_started = False  # the entry point ran to its end (at start, or after a fix in dev mode)


def wheel_folder() -> str:
    """Where the worker unpacks the app's pure-Python wheels: site-packages."""
    return sysconfig.get_paths()["purelib"]


def prepare() -> None:
    """Ready the interpreter for the app, once the bundle and the wheels are unpacked.

    The import system caches folder listings, and a restored interpreter listed these
    folders before its snapshot was taken (when other files were there): the caches are
    dropped. A restored ``random`` would repeat the snapshot's sequence on every launch:
    it is seeded afresh (from the OS, as a new interpreter is).
    """
    importlib.invalidate_caches()
    restored_random = sys.modules.get("random")
    if restored_random is not None:
        restored_random.seed()
    signal.signal(signal.SIGUSR1, _send_queued_writes)


def _send_queued_writes(signum: int, frame: object) -> None:
    """The page taps Python with SIGUSR1 when it has been busy for a second (a long handler,
    a loop in main()): what it wrote to the page so far is shown, not held until it yields.
    """
    dom._flush_from_signal()


def warm(imports: Iterable[str], deferred: Iterable[str] = ()) -> None:
    """What a new start-up snapshot holds besides a booted interpreter: pyshell's own
    modules, the modules named (the locked packages', the app's ``snapshot-imports``),
    and the app's and the wheels' code compiled ahead (see ``precompiled``).

    A module that fails to import is left out with one line on stderr, unless it is a
    standard-library module Pyodide lacks (no news). ``deferred`` names the compiled
    packages, which load only after the snapshot: a module that asks for one of them
    (an optional ``try: import ...`` the lock's dependencies do not show) is left out
    whole, so that it imports after the restore and finds the package there.
    """
    guard = _Deferred(deferred)
    sys.meta_path.insert(0, guard)
    try:
        for name in [*OWN_MODULES, *imports]:
            _warm_one(name, guard)
    finally:
        sys.meta_path.remove(guard)
    from . import precompiled  # here: an interpreter that makes no snapshot never needs it

    for folder in (APP_ROOT, wheel_folder()):
        precompiled.compile_tree(folder)


def _warm_one(name: str, guard: _Deferred) -> None:
    before = set(sys.modules)
    guard.asked = False
    try:
        importlib.import_module(name)
    except SyntaxError:
        pass  # the app's own error: shown once, when the app imports it at start
    except Exception as exc:  # noqa: BLE001 - the snapshot is made without it
        if not guard.asked and name.partition(".")[0] not in sys.stdlib_module_names:
            print(f"pyshell: not in the start-up snapshot: {name} ({exc!r})", file=sys.stderr)
    if guard.asked:
        for module in set(sys.modules) - before:
            del sys.modules[module]


class _Deferred:
    """A finder ahead of all others while a snapshot is made: the compiled packages'
    modules are not there yet, and asking for one is noted."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self.asked = False

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.partition(".")[0] in self.names:
            self.asked = True
            raise ModuleNotFoundError(f"{fullname} loads after the start-up snapshot",
                                      name=fullname)


async def start(entry: str, transport: Transport | None = None) -> bool:
    """Import ``module:function`` and run it; True when it finished without error."""
    global _entry, _started
    _entry, _started = entry, False
    app.reset()
    menus.reset()
    windows.reset()
    tray.reset()
    dom.use_transport(transport or WorkerTransport())
    try:
        await _run_entry(importlib.import_module(entry.partition(":")[0]))
    except BaseException as exc:  # noqa: BLE001 - every app failure is reported, not raised
        report(exc)
        return False
    finally:
        dom.flush()
        menus.send()  # even none: a new page's menus replace the last one's
    return True


async def _run_entry(module: Any) -> None:
    """The entry function of the imported entry ``module``; marks the app started."""
    global _started
    func_name = _entry.partition(":")[2]
    if func_name:
        result = getattr(module, func_name)()
        if inspect.isawaitable(result):
            await result
    _started = True


RESTART = "restart"  # a module that sets ``__pyshell_reload__ = "restart"`` is never patched
STARTED = "started"  # the reload fixed an app whose start had failed: its entry point ran


# What the app's top level registers, kept in step by a dev reload (pyshell.tracking): each has
# ``registrations(modules)``, ``start_tracking()`` and ``drop_untracked(previous)``.
REGISTRIES = (dom, app, menus, windows)


async def reload(changed: list[str]) -> bool | str:
    """Re-run changed app modules in place (dev mode), keeping objects and state.

    The changed modules are reloaded first, then every other loaded module of the same
    packages, the entry module last, so names imported from a changed module are rebound.
    Classes are patched in place: existing instances get the new methods. Handlers are
    re-registered by the module's top level; ones that disappeared are removed. Timers the
    top level starts are started afresh (the old ones cancelled); timers started elsewhere
    (``main()``, handlers) keep running with their function's new code. Then the
    entry module's ``on_reload()`` runs, if it has one. On any error the app's traceback is
    shown, the code that was running stays, and False is returned.

    If the app's start had failed (its entry module did not import, or the entry function
    raised), a reload that works completes the start instead: the entry module is
    imported and the entry function runs (not ``on_reload()``), once, and ``"started"``
    is returned.

    A module whose top level must not run twice (it opens things, starts tasks...) can say
    so with ``__pyshell_reload__ = "restart"``; changing it restarts the page instead, and
    ``"restart"`` is returned.
    """
    if any(getattr(sys.modules.get(name), "__pyshell_reload__", None) == RESTART
           for name in changed):
        return RESTART
    packages = {name.split(".")[0] for name in changed}
    entry_module = _entry.partition(":")[0]
    loaded = [n for n in list(sys.modules) if n.split(".")[0] in packages and n not in changed]
    order = [*changed, *sorted(n for n in loaded if n != entry_module)]
    if (entry_module in sys.modules or not _started) and entry_module not in order:
        order.append(entry_module)
    importlib.invalidate_caches()
    starting = not _started
    modules = set(order)
    previous = [registry.registrations(modules) for registry in REGISTRIES]
    for registry in REGISTRIES:
        registry.start_tracking()
    try:
        try:
            for name in order:
                if name in sys.modules:
                    old = dict(vars(sys.modules[name]))
                    _patch_classes(old, importlib.reload(sys.modules[name]))
                else:
                    importlib.import_module(name)
        except BaseException:
            dom.reload_timers(modules, ok=False)
            for registry in REGISTRIES:
                registry.drop_untracked(set())  # the handlers registered before stay
            raise
        for registry, before in zip(REGISTRIES, previous, strict=True):
            registry.drop_untracked(before)
        dom.reload_timers(modules, ok=True)
        hook = getattr(sys.modules.get(entry_module), "on_reload", None)
        if starting:
            await _run_entry(sys.modules[entry_module])
        elif hook is not None:
            result = hook()
            if inspect.isawaitable(result):
                await result
    except BaseException as exc:  # noqa: BLE001 - shown in the overlay, old code keeps running
        dom.flush()
        report(exc)
        return False
    dom.flush()
    transport = dom._transport
    if transport is not None:
        transport.error("")  # an empty error clears the overlay
    return STARTED if starting else True


def _patch_classes(old: dict[str, Any], module: Any) -> None:
    """Give the original class objects the new code, and keep using the originals."""
    for name, new in list(vars(module).items()):
        original = old.get(name)
        if (isinstance(new, type) and isinstance(original, type) and new is not original
                and new.__qualname__ == original.__qualname__):
            for attr, value in vars(new).items():
                if attr not in ("__dict__", "__weakref__", "__module__"):
                    try:
                        setattr(original, attr, value)
                    except (AttributeError, TypeError):
                        pass
            setattr(module, name, original)


async def dispatch(handler_id: str, raw_event: Mapping[str, Any]) -> None:
    try:
        await dom.dispatch(handler_id, raw_event)
    except BaseException as exc:  # noqa: BLE001
        dom.flush()
        report(exc)


async def menu_click(item_id: str, checked: bool, window: str = "main") -> None:
    """A native menu item was clicked (in ``window``'s menu bar): its handler runs like an
    event's, errors shown."""
    try:
        await menus.dispatch(item_id, checked, window)
        dom.flush()
    except BaseException as exc:  # noqa: BLE001
        dom.flush()
        report(exc)


async def run_timer(timer_id: int) -> None:
    """One run of a ``later``/``every`` timer: like an event's handler, errors shown."""
    try:
        await dom.run_timer(timer_id)
    except BaseException as exc:  # noqa: BLE001
        dom.flush()
        report(exc)


async def close() -> bool:
    """The window is asked to close (the page waited until no handler or timer run was
    under way): run the ``on_close`` handlers, and unless one returned False (then
    False: the window stays), the ``on_quit`` handlers. Errors are shown, and veto
    nothing."""
    vetoed = False
    for func in app.close_handlers():
        if await _run_hook(func) is False:
            vetoed = True
    if not vetoed:
        for func in app.quit_handlers():
            await _run_hook(func)
    dom.flush()
    return not vetoed


async def host_event(event_json: str) -> None:
    """One event the host told the app (docs/protocol.md, "Host events")."""
    event = json.loads(event_json)
    if event["kind"] == "open":
        for func in app.open_handlers():
            await _run_hook(functools.partial(func, paths=event["paths"], urls=event["urls"]))
    elif event["kind"] == "drop":
        for func in app.drop_handlers():
            await _run_hook(functools.partial(func, event["paths"]))
    elif event["kind"] == "notification":
        await _run_hook(functools.partial(notifications.deliver, event["id"], event["action"]))
    elif event["kind"] == "window":
        await _run_hook(functools.partial(windows.deliver, event))
    elif event["kind"] == "menu":  # a click in the tray icon's menu
        await _run_hook(functools.partial(menus.dispatch, event["item"], event["checked"]))
    elif event["kind"] == "tray":
        await _run_hook(tray.activated)
    dom.flush()


async def _run_hook(func: Callable[[], Any]) -> Any:
    try:
        result = func()
        if inspect.isawaitable(result):
            result = await result
        return result
    except BaseException as exc:  # noqa: BLE001 - reported; the next handler still runs
        dom.flush()
        report(exc)
        return None


def report(exc: BaseException) -> None:
    """Print the app's traceback to stderr (the terminal) and show it in the window."""
    text = format_app_traceback(exc)
    print(text, file=sys.stderr, end="")
    transport = dom._transport
    if transport is not None:
        transport.error(text)


def format_app_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_OWN_FOLDER)
              and not any(marker in f.filename for marker in _INTERNAL_MARKERS)]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).replace(APP_ROOT, "")
