"""Real pictures for tests: PNGs written here, JPEGs made by ImageMagick."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real RGB PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(path: Path, width: int, height: int) -> None:
    """A real JPEG (a gradient), made by ImageMagick."""
    if shutil.which("convert") is None:
        pytest.skip("ImageMagick's convert is needed to make JPEGs")
    subprocess.run(["convert", "-size", f"{width}x{height}", "gradient:red-blue",
                    "-quality", "85", str(path)], check=True)


def turned(jpeg_bytes: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF segment saying how to turn it for display (as cameras write)."""
    ifd = struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0)  # one SHORT entry
    exif = b"Exif\0\0" + b"MM\0\x2a" + struct.pack(">I", 8) + ifd
    return jpeg_bytes[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg_bytes[2:]
