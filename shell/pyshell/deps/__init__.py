"""App dependencies for WebAssembly: resolved with pip for Pyodide's platform, locked, cached.

``service.lock`` (``pyshell lock``) resolves ``[project].dependencies`` and writes the app's
lock; ``service.prepare`` (``pyshell run/dev/build``) makes sure every locked wheel is in the
cache with the locked hash, re-locking first when the dependencies changed.
"""
