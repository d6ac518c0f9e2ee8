"""The WebAssembly platform pip resolves for, read from the pinned runtime's own lock file.

Nothing here is hard-coded per Pyodide release: the wheel tag, the Python version and the
environment markers all come from ``info`` in the runtime's ``pyodide-lock.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WasmTarget:
    """Pyodide's interpreter as a packaging target (e.g. cp314 on pyemscripten_2026_0_wasm32)."""

    python: str  # full version, e.g. "3.14.2"
    abi_version: str  # e.g. "2026_0"
    arch: str  # "wasm32"
    platform: str  # Emscripten's version, e.g. "emscripten_5_0_3"

    @classmethod
    def from_lock_info(cls, info: dict[str, Any]) -> WasmTarget:
        return cls(str(info["python"]), str(info["abi_version"]), str(info.get("arch", "wasm32")),
                   str(info["platform"]))

    @property
    def python_short(self) -> str:
        return ".".join(self.python.split(".")[:2])

    @property
    def platform_tag(self) -> str:
        """The wheel platform tag Pyodide accepts (PEP 783)."""
        return f"pyemscripten_{self.abi_version}_{self.arch}"

    @property
    def abi_tag(self) -> str:
        return "cp" + self.python_short.replace(".", "")

    def markers(self) -> dict[str, str]:
        """PEP 508 marker values as Pyodide's interpreter reports them."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python,
            "os_name": "posix",
            "platform_machine": self.arch,
            "platform_python_implementation": "CPython",
            "platform_release": self.platform.removeprefix("emscripten_").replace("_", "."),
            "platform_system": "Emscripten",
            "platform_version": "#1",
            "python_full_version": self.python,
            "python_version": self.python_short,
            "sys_platform": "emscripten",
        }

    def pip_args(self) -> list[str]:
        """pip options that select wheels for this target instead of for the host."""
        return ["--only-binary=:all:", "--platform", self.platform_tag,
                "--python-version", self.python_short, "--implementation", "cp",
                "--abi", self.abi_tag, "--abi", "abi3", "--abi", "none"]

    def info(self) -> dict[str, str]:
        return {"abi_version": self.abi_version, "arch": self.arch, "platform": self.platform,
                "python": self.python}
