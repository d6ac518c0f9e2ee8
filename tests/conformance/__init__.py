"""CPython's own file-semantics tests (Lib/test) in the app's Pyodide: MEMFS vs grants."""
