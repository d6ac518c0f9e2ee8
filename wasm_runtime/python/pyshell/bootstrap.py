"""What the worker calls: start the app's entry point, dispatch events, report errors.

Errors are shown as the app's traceback: frames from pyshell and Pyodide internals are
dropped, because the author can only act on their own code.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from . import dom
from .transport import Transport, WorkerTransport

APP_ROOT = "/home/pyodide/app/"  # where worker.mjs unpacks the app; shown as relative paths
_INTERNAL_MARKERS = ("/pyshell/bootstrap.py", "/pyshell/dom.py", "/pyshell/transport.py",
                     "<exec>", "<frozen ", "/lib/python3")


async def start(entry: str, transport: Transport | None = None) -> bool:
    """Import ``module:function`` and run it; True when it finished without error."""
    dom.use_transport(transport or WorkerTransport())
    module_name, _, func_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
        if func_name:
            result = getattr(module, func_name)()
            if inspect.isawaitable(result):
                await result
    except BaseException as exc:  # noqa: BLE001 - every app failure is reported, not raised
        report(exc)
        return False
    finally:
        dom.flush()
    return True


async def dispatch(handler_id: str, raw_event: Mapping[str, Any]) -> None:
    try:
        await dom.dispatch(handler_id, raw_event)
    except BaseException as exc:  # noqa: BLE001
        dom.flush()
        report(exc)


def report(exc: BaseException) -> None:
    """Print the app's traceback to stderr (the terminal) and show it in the window."""
    text = format_app_traceback(exc)
    print(text, file=sys.stderr, end="")
    transport = dom._transport
    if transport is not None:
        transport.error(text)


def format_app_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not any(marker in f.filename for marker in _INTERNAL_MARKERS)]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).replace(APP_ROOT, "")
