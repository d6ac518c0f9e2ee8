"""The thumbnail decoder: a process of its own that turns an image's bytes into a small JPEG
or PNG (``thumbmaker`` runs a few and feeds them), confined by ``sandbox`` before it reads
its first request, so a crafted file that takes it over can do nothing but answer.

Why on the host and not in the page: the host's image libraries decode a JPEG at 1/2, 1/4
or 1/8 of its size (a fraction of a full decode's time and memory), where a webview's page
decodes it whole; QtWebEngine's page took seconds for a grid of camera pictures.

It decodes with an engine's own image library: GTK's ``GdkPixbuf`` where it is installed,
else Qt's ``QImageReader``. Each is made to load its JPEG and PNG plug-ins before
the sandbox closes (it could not open them after).

Protocol on stdin/stdout: a request is ``>II`` (size in pixels, byte count) and the image's
bytes; each answer is ``>I`` and that many bytes of JSON (``{mime, width, height, size}``
followed by ``size`` bytes of image, or ``{error}``). The first answer says it is ready:
``{ready: backend}``, or ``{error}`` and the process ends.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
from collections.abc import Callable
from typing import BinaryIO, Protocol

from . import sandbox

MEMORY = 4 << 30  # bytes of address space: a decompression bomb fails, not the machine
QUALITY = 85


class DecodeError(Exception):
    """The bytes are not an image this decoder can read."""


class Backend(Protocol):
    name: str

    def thumbnail(self, data: bytes, px: int) -> tuple[bytes, str, int, int]: ...

    def sample(self, kind: str) -> bytes:
        """A tiny picture of ``kind`` ("jpeg" or "png"), made by the library itself."""
        ...


def _fit(width: int, height: int, px: int) -> tuple[int, int]:
    scale = min(1.0, px / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _kind(data: bytes) -> str:
    """JPEG stays JPEG; anything else becomes PNG (it may have transparency)."""
    return "jpeg" if data[:2] == b"\xff\xd8" else "png"


class QtBackend:
    name = "qt"

    def __init__(self) -> None:
        from PySide6 import QtCore, QtGui  # noqa: PLC0415 (the engine's, if installed)
        self.core, self.gui = QtCore, QtGui
        QtGui.QImageReader.setAllocationLimit(1024)  # MB for one decoded picture

    def thumbnail(self, data: bytes, px: int) -> tuple[bytes, str, int, int]:
        core, gui = self.core, self.gui
        source = core.QBuffer()
        source.setData(core.QByteArray(data))
        reader = gui.QImageReader(source)
        reader.setAutoTransform(True)  # a camera's EXIF orientation: shown upright
        stored = reader.size()
        if stored.isValid():  # the decoder's own reduced-scale decode, where it has one
            reader.setScaledSize(core.QSize(*_fit(stored.width(), stored.height(), px)))
        image = reader.read()
        if image.isNull():
            raise DecodeError(reader.errorString())
        if max(image.width(), image.height()) > px:
            image = image.scaled(core.QSize(*_fit(image.width(), image.height(), px)),
                                 core.Qt.AspectRatioMode.IgnoreAspectRatio,
                                 core.Qt.TransformationMode.SmoothTransformation)
        kind = _kind(data)
        out = core.QByteArray()
        sink = core.QBuffer(out)
        sink.open(core.QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(sink, kind.upper(), QUALITY if kind == "jpeg" else -1):
            raise DecodeError("the thumbnail could not be encoded")
        return bytes(out.data()), f"image/{kind}", image.width(), image.height()

    def sample(self, kind: str) -> bytes:
        core, gui = self.core, self.gui
        image = gui.QImage(4, 4, gui.QImage.Format.Format_RGB32)
        image.fill(0x336699)
        out = core.QByteArray()
        sink = core.QBuffer(out)
        sink.open(core.QIODevice.OpenModeFlag.WriteOnly)
        image.save(sink, kind.upper())
        return bytes(out.data())


class PixbufBackend:
    name = "gdkpixbuf"

    def __init__(self) -> None:
        import gi  # noqa: PLC0415 (the system's, with the GTK engine)
        gi.require_version("GdkPixbuf", "2.0")
        from gi.repository import GdkPixbuf  # noqa: PLC0415
        self.pixbuf = GdkPixbuf

    def thumbnail(self, data: bytes, px: int) -> tuple[bytes, str, int, int]:
        loader = self.pixbuf.PixbufLoader()
        # Told the size as soon as the header is read, the JPEG loader decodes at a reduced scale.
        loader.connect("size-prepared", lambda it, w, h: it.set_size(*_fit(w, h, px)))
        try:
            loader.write(data)
            loader.close()
        except Exception as exc:  # GLib.Error: corrupt or unknown
            raise DecodeError(str(exc).splitlines()[0]) from None
        image = loader.get_pixbuf()
        if image is None:
            raise DecodeError("not an image")
        image = image.apply_embedded_orientation()
        kind = _kind(data)
        options = (["quality"], [str(QUALITY)]) if kind == "jpeg" else ([], [])
        ok, out = image.save_to_bufferv(kind, *options)
        if not ok:
            raise DecodeError("the thumbnail could not be encoded")
        return bytes(out), f"image/{kind}", image.get_width(), image.get_height()

    def sample(self, kind: str) -> bytes:
        image = self.pixbuf.Pixbuf.new(self.pixbuf.Colorspace.RGB, False, 8, 4, 4)
        image.fill(0x336699FF)
        return bytes(image.save_to_bufferv(kind, [], [])[1])


# GdkPixbuf first: it starts in a third of the time (66 against 218 ms here).
BACKENDS: dict[str, Callable[[], Backend]] = {"gdkpixbuf": PixbufBackend, "qt": QtBackend}


def _start(names: list[str]) -> Backend:
    """The first backend that loads and can decode and encode both kinds of picture."""
    problems = []
    for name in names:
        try:
            backend = BACKENDS[name]()
            for kind in ("jpeg", "png"):  # its plug-ins loaded now, while files can be opened
                backend.thumbnail(backend.sample(kind), 2)
            return backend
        except Exception as exc:  # noqa: BLE001 (an engine library missing or broken)
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(f"{name}: {why}")
    raise RuntimeError("no image library: " + "; ".join(problems))


def _answer(out: BinaryIO, head: dict[str, object], data: bytes = b"") -> None:
    text = json.dumps(head).encode()
    out.write(struct.pack(">I", len(text)) + text + data)
    out.flush()


def _exactly(source: BinaryIO, count: int) -> bytes | None:
    data = source.read(count)
    return data if len(data) == count else None


def serve(source: BinaryIO, out: BinaryIO, backend: Backend) -> None:
    while (head := _exactly(source, 8)) is not None:
        px, count = struct.unpack(">II", head)
        data = _exactly(source, count)
        if data is None:
            return
        try:
            made, mime, width, height = backend.thumbnail(data, px)
        except DecodeError as exc:
            _answer(out, {"error": str(exc) or "not an image"})
            continue
        _answer(out, {"mime": mime, "width": width, "height": height, "size": len(made)}, made)


def main(argv: list[str]) -> int:
    source, out = sys.stdin.buffer, sys.stdout.buffer
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        backend = _start(argv or list(BACKENDS))
        sandbox.confine()
    except (RuntimeError, OSError) as exc:
        _answer(out, {"error": str(exc)})
        return 1
    _answer(out, {"ready": backend.name})
    serve(source, out, backend)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
