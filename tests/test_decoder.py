"""The host's thumbnail decoders: real sandboxed processes, real image libraries.

A decoder confines itself before it reads a request (``sandbox``); these tests check the
confinement from outside (what a confined process can no longer do) and that a decoder
that hangs or dies costs one picture, never the others.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from kit.images import jpeg, png, turned
from kit.waits import wait_until
from pyshell import sandbox, thumbmaker
from pyshell.decoder import DecodeError
from pyshell.thumbmaker import ThumbMaker, Unavailable

pytestmark = pytest.mark.skipif(not sandbox.supported(), reason="the sandbox is x86-64 Linux")

SHELL = str(Path(__file__).resolve().parents[1] / "shell")


@pytest.fixture(scope="module", params=["gdkpixbuf", "qt"])
def maker(request: pytest.FixtureRequest):
    made = ThumbMaker(size=1, backends=(request.param,))
    yield made
    made.close()


def pixel(png_or_jpeg: bytes, x: int, y: int) -> tuple[int, ...]:
    """A pixel of a picture, read back by ImageMagick (not by the library that made it)."""
    out = subprocess.run(["convert", "-", "-format", f"%[pixel:p{{{x},{y}}}]", "info:-"],
                         input=png_or_jpeg, capture_output=True, check=True).stdout.decode()
    inside = out[out.index("(") + 1:out.index(")")]
    return tuple(round(float(v.rstrip("%")) * (2.55 if v.endswith("%") else 1))
                 for v in inside.split(",")[:3])


def test_a_jpeg_is_scaled_and_stays_jpeg(maker: ThumbMaker, tmp_path: Path) -> None:
    jpeg(tmp_path / "photo.jpg", 1000, 750)  # red at the top, blue at the bottom
    with open(tmp_path / "photo.jpg", "rb") as f:  # sent from the open file, as the host does
        made = maker.make((f.fileno(), os.fstat(f.fileno()).st_size), 200)
    assert (made.mime, made.width, made.height) == ("image/jpeg", 200, 150)
    assert made.data[:2] == b"\xff\xd8"
    top, bottom = pixel(made.data, 100, 2), pixel(made.data, 100, 147)
    assert top[0] > 200 > 50 > top[2] and bottom[2] > 200 > 50 > bottom[0], (top, bottom)


def test_a_png_keeps_its_aspect_and_is_never_enlarged(maker: ThumbMaker) -> None:
    tall = maker.make(png(300, 600, (10, 10, 250)), 100)
    assert (tall.mime, tall.width, tall.height) == ("image/png", 50, 100)
    assert pixel(tall.data, 25, 50) == (10, 10, 250)
    small = maker.make(png(40, 30), 200)
    assert (small.width, small.height) == (40, 30)


def test_a_camera_picture_comes_out_upright(maker: ThumbMaker, tmp_path: Path) -> None:
    jpeg(tmp_path / "turned.jpg", 400, 200)  # stored: red on top; EXIF: turn a quarter
    made = maker.make(turned((tmp_path / "turned.jpg").read_bytes(), 6), 100)
    assert (made.width, made.height) == (50, 100)
    left, right = pixel(made.data, 3, 50), pixel(made.data, 46, 50)
    assert left[2] > left[0] and right[0] > right[2], (left, right)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64,
                                  png(300, 200)[:40], b"\x89PNG\r\n\x1a\n"],
                         ids=["corrupt-jpeg", "truncated-png", "bare-png-signature"])
def test_bad_bytes_are_a_decode_error_and_the_decoder_goes_on(maker: ThumbMaker,
                                                               data: bytes) -> None:
    with pytest.raises(DecodeError):
        maker.make(data, 50)
    assert maker.make(png(40, 30), 20).width == 20


@pytest.mark.parametrize("data", [b"GIF89a" + bytes(64), b"RIFF\0\0\0\0WEBPVP8 ",
                                  b"not an image at all\n" * 100, b""],
                         ids=["gif", "webp", "text", "empty"])
def test_only_jpeg_and_png_go_to_a_decoder(maker: ThumbMaker, data: bytes) -> None:
    """Other files are left to the page (the engine decodes GIF, WebP and the rest, and
    says what is wrong with a file that is no picture)."""
    with pytest.raises(Unavailable, match="only JPEG and PNG"):
        maker.make(data, 50)
    assert maker.make(png(40, 30), 20).width == 20  # and the maker still works


def test_a_decoder_is_confined(maker: ThumbMaker) -> None:
    maker.make(png(4, 4), 2)
    decoder = maker._idle.get_nowait()  # noqa: SLF001 (the one process, to look at)
    try:
        status = Path(f"/proc/{decoder.proc.pid}/status").read_text()
        assert "\nSeccomp:\t2\n" in status  # a seccomp filter
        assert "\nNoNewPrivs:\t1\n" in status
        held = [os.readlink(f"/proc/{decoder.proc.pid}/fd/{fd}")
                for fd in os.listdir(f"/proc/{decoder.proc.pid}/fd")]
        # Its two pipes, /dev/null, and its threads' wake-up descriptors: no file.
        assert held.count("/dev/null") == 1 and sum("pipe:" in h for h in held) == 2, held
        assert all(h.startswith(("pipe:", "anon_inode:")) for h in held if h != "/dev/null")
    finally:
        maker._idle.put(decoder)  # noqa: SLF001


CONFINED = textwrap.dedent("""
    import errno, json, os, socket, sys, threading
    from pyshell import sandbox
    sandbox.confine()
    tried = {}
    for name, act in [("open", lambda: open(sys.argv[1])), ("socket", socket.socket),
                      ("fork", os.fork), ("exec", lambda: os.execv("/bin/true", ["true"])),
                      ("listdir", lambda: os.listdir("/")), ("kill", lambda: os.kill(1, 0))]:
        try:
            act()
            tried[name] = "allowed"
        except OSError as exc:
            tried[name] = exc.errno
    thread = threading.Thread(target=lambda: tried.update(thread="ran"))
    thread.start()
    thread.join()
    tried["memory"] = len(bytearray(100 << 20))
    print(json.dumps(tried))
""")


def test_a_confined_process_reaches_no_file_socket_or_process(tmp_path: Path) -> None:
    import json

    secret = tmp_path / "secret.txt"
    secret.write_text("mine")
    done = subprocess.run([sys.executable, "-c", CONFINED, str(secret)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": SHELL}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "open": errno.EPERM, "socket": errno.EPERM, "fork": errno.EPERM, "exec": errno.EPERM,
        "listdir": errno.EPERM, "kill": errno.EPERM, "thread": "ran", "memory": 100 << 20}


@pytest.mark.parametrize("big", [False, True], ids=["in-the-pipe", "more-than-the-pipe"])
def test_a_decoder_that_hangs_is_replaced(maker: ThumbMaker, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path, big: bool) -> None:
    """A decoder stopped mid-picture (as one looping on a crafted file would be) is killed
    when its time is up, even while the picture is still being sent to it (a file bigger
    than the pipe holds); the picture is a DecodeError and the next one is made."""
    monkeypatch.setattr(thumbmaker, "TIMEOUT", 2.0)
    maker.make(png(4, 4), 2)
    decoder = maker._idle.get_nowait()  # noqa: SLF001
    maker._idle.put(decoder)  # noqa: SLF001
    (tmp_path / "big.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4 << 20))
    os.kill(decoder.proc.pid, signal.SIGSTOP)
    with open(tmp_path / "big.bin", "rb") as f, pytest.raises(DecodeError, match="took too long"):
        maker.make((f.fileno(), (4 << 20) + 8) if big else png(40, 30), 20)
    assert decoder.proc.poll() is not None  # killed
    assert maker.make(png(40, 30), 20).width == 20  # by a new one


def test_a_decoder_that_dies_costs_one_picture(maker: ThumbMaker) -> None:
    maker.make(png(4, 4), 2)
    decoder = maker._idle.get_nowait()  # noqa: SLF001
    maker._idle.put(decoder)  # noqa: SLF001
    timer = threading.Timer(0.2, os.kill, (decoder.proc.pid, signal.SIGKILL))
    os.kill(decoder.proc.pid, signal.SIGSTOP)  # so that it dies with the picture in hand
    timer.start()
    with pytest.raises(DecodeError, match="ended"):
        maker.make(png(40, 30), 20)
    timer.join()
    assert maker.make(png(40, 30), 20).width == 20


def test_no_image_library_is_unavailable_and_says_so() -> None:
    made = ThumbMaker(size=1, backends=("none",))
    try:
        with pytest.raises(Unavailable, match="no image library: none"):
            made.make(png(4, 4), 2)
        with pytest.raises(Unavailable):  # and stays so: no process started per picture
            made.make(png(4, 4), 2)
    finally:
        made.close()


def test_a_decoder_unused_for_a_while_ends_and_another_starts_when_wanted() -> None:
    made = ThumbMaker(size=2, idle=0.5)
    try:
        older, newer = made._take(), made._take()  # noqa: SLF001 (two pictures at once)
        made._give_back(older)  # noqa: SLF001
        time.sleep(0.3)
        made._give_back(newer)  # noqa: SLF001
        wait_until(lambda: older.proc.poll() is not None, 5, "the older decoder to end")
        assert newer.alive or time.monotonic() - newer.used >= made.idle  # not before its time
        wait_until(lambda: newer.proc.poll() is not None, 5, "the newer decoder to end")
        assert made._idle.empty() and not made._live  # noqa: SLF001
        assert made.make(png(40, 30), 20).width == 20  # a new one starts
    finally:
        made.close()


def test_closing_ends_the_decoders() -> None:
    made = ThumbMaker(size=2)
    made.make(png(4, 4), 2)
    pids = [d.proc.pid for d in list(made._idle.queue)]  # noqa: SLF001
    made.close()
    assert pids and all(not Path(f"/proc/{pid}").exists() or
                        "zombie" in Path(f"/proc/{pid}/status").read_text() for pid in pids)
    with pytest.raises(Unavailable):
        made.make(png(4, 4), 2)


def test_closing_ends_a_decoder_in_the_middle_of_a_picture() -> None:
    """The app's end does not wait for a picture being made (here, by a decoder that would
    never answer): the picture is a DecodeError at once."""
    made = ThumbMaker(size=1)
    made.make(png(4, 4), 2)
    decoder = next(iter(made._idle.queue))  # noqa: SLF001
    os.kill(decoder.proc.pid, signal.SIGSTOP)
    failed: list[BaseException] = []
    busy = threading.Thread(target=lambda: failed.append(pytest.raises(
        DecodeError, made.make, png(40, 30), 20).value))
    busy.start()
    busy.join(1)
    assert busy.is_alive()  # waiting for the stopped decoder
    made.close()
    busy.join(5)
    assert not busy.is_alive() and "ended" in str(failed[0])
    assert decoder.proc.poll() is not None
