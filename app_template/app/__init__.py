"""{{title}}: the app's Python package (runs inside Pyodide)."""
