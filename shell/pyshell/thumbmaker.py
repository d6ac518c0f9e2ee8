"""Thumbnails made on the host, by a few sandboxed ``decoder`` processes (one a core, up to
``MOST``), started when a thumbnail is asked for and ended after ``IDLE`` seconds unused (each
holds ~25 MB; starting one again takes 70-220 ms) or with the app server.

A decoder that hangs or dies on a file is killed and replaced, and the file's thumbnail is a
``DecodeError``: a bad file never holds up the others. Where no decoder can start (no image
library, or no sandbox on this system), and for files neither JPEG nor PNG,
``Unavailable``, and the page makes the thumbnail.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from .decoder import DecodeError
from .fileservice import FileService
from .thumbcache import ThumbCache

MOST = 4
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # how JPEG and PNG files begin
LARGEST = 256 << 20  # bytes of a file to make a thumbnail of: past it, a DecodeError
TIMEOUT = 20.0  # s for one picture; the largest we made took well under a second
IDLE = 60.0  # s a decoder waits unused before it ends


class Unavailable(Exception):
    """Not for the host to decode (no sandboxed decoder runs on this system, or the file is
    neither JPEG nor PNG): the page makes the thumbnail."""


@dataclass(frozen=True)
class Thumbnail:
    """A JPEG or PNG; its width and height are 0 for one kept from before (not decoded)."""

    data: bytes
    mime: str
    width: int
    height: int


# A picture to make a thumbnail of: its bytes, or an open file and its size (sent to the
# decoder by the kernel, never read into this process, which would keep the memory).
Source = bytes | tuple[int, int]


class _Decoder:
    """One decoder process, used by one thread at a time."""

    def __init__(self, backends: tuple[str, ...]) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyshell.decoder", *backends], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self.used = time.monotonic()  # when it last finished a picture
        ready = self._exchange(None)
        if "ready" not in ready:
            self.close()
            raise Unavailable(str(ready.get("error", "the decoder did not start")))

    def make(self, source: Source, px: int) -> Thumbnail:
        head = self._exchange(lambda: self._send(source, px))
        if "error" in head:
            raise DecodeError(str(head["error"]))
        return Thumbnail(head.pop("data"), str(head["mime"]), int(head["width"]),
                         int(head["height"]))

    def _exchange(self, send: Callable[[], None] | None) -> dict[str, Any]:
        """Send a request (None: none) and read the answer, within ``TIMEOUT``: otherwise,
        or if the process ends, DecodeError and the process killed. Both happen in a
        thread of their own, so that a decoder that stopped reading cannot hold this one."""
        result: dict[str, Any] = {}

        def exchange() -> None:
            with contextlib.suppress(OSError, ValueError):  # the pipes closed: it ended
                if send is not None:
                    send()
                self._read(result)

        worker = threading.Thread(target=exchange, daemon=True)
        worker.start()
        worker.join(TIMEOUT)
        if "head" not in result:
            late = worker.is_alive()
            self.close(worker)
            raise DecodeError("the picture could not be decoded (the decoder "
                              + ("took too long)" if late else "ended)"))
        head: dict[str, Any] = result["head"]
        return head

    def _send(self, source: Source, px: int) -> None:
        stdin = self._pipe(self.proc.stdin)
        size = len(source) if isinstance(source, bytes) else source[1]
        stdin.write(struct.pack(">II", px, size))
        if isinstance(source, bytes):
            stdin.write(source)
        else:
            stdin.flush()
            fd, sent = source[0], 0
            while sent < size and (step := os.sendfile(stdin.fileno(), fd, sent, size - sent)):
                sent += step
            stdin.write(bytes(size - sent))  # a file cut short meanwhile: a corrupt picture
        stdin.flush()

    def _read(self, result: dict[str, Any]) -> None:
        out = self._pipe(self.proc.stdout)
        size = out.read(4)
        if len(size) < 4:
            return
        head = json.loads(out.read(struct.unpack(">I", size)[0]))
        head["data"] = out.read(int(head.get("size", 0)))
        result["head"] = head

    @staticmethod
    def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
        assert stream is not None  # both are pipes (Popen above)
        return stream

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, worker: threading.Thread | None = None) -> None:
        """End the process; ``worker``, a thread still exchanging with it, is waited for
        (it ends on the closed pipes) before the pipes are closed here."""
        if self.alive:
            self.proc.kill()
        self.proc.wait()
        if worker is not None:
            worker.join()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class ThumbMaker:
    """A pool of decoders; ``make`` blocks (run it in a thread) while one makes the picture."""

    def __init__(self, size: int | None = None, backends: tuple[str, ...] = (),
                 idle: float = IDLE) -> None:
        """``backends``: the image libraries to try (``decoder.BACKENDS``), all by default."""
        self.size = size or max(1, min(MOST, os.cpu_count() or 1))
        self.backends = backends
        self.idle = idle
        self._reaper: threading.Timer | None = None
        self._idle: queue.LifoQueue[_Decoder] = queue.LifoQueue()
        self._started = 0
        self._live: set[_Decoder] = set()  # started, idle or busy
        self._lock = threading.Lock()
        self._unavailable: str | None = None
        self._closed = False
        # Where ``thumbnail_of`` runs: its own threads, so waiting for a decoder never holds
        # up the file service's.
        self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="pyshell-thumb")

    def thumbnail_of(self, files: FileService, grant_id: str, path: str, px: int) -> Thumbnail:
        """The thumbnail of a grant's file as it is now: kept from before (``thumbcache``),
        or made and kept. Reached as any read is (OSError where it cannot be)."""
        fd, st = files.open_reader(grant_id, path)
        try:
            key = ThumbCache.key(st, px)
            kept = files.thumbs.get(key) if files.thumbs else None
            if kept is not None:
                return Thumbnail(kept[0], kept[1], 0, 0)
            if st.st_size > LARGEST:
                raise DecodeError(f"too large to make a thumbnail of ({st.st_size} bytes)")
            made = self.make((fd, st.st_size), px)
        finally:
            os.close(fd)
        if files.thumbs is not None:  # keyed by what was read: a file changed since misses
            with contextlib.suppress(OSError, ValueError):
                files.thumbs.put(key, made.data, made.mime)
        return made

    def make(self, data: Source, px: int) -> Thumbnail:
        """``data`` (an image file's bytes, or an open one and its size) scaled to at most
        ``px`` wide and high, upright; DecodeError for something not a picture, Unavailable
        where no decoder runs, or for a file neither JPEG nor PNG (the decoders load only
        those two formats' code before the sandbox closes; the engine's page has the rest)."""
        head = data[:8] if isinstance(data, bytes) else os.pread(data[0], 8, 0)
        if not head.startswith(SIGNATURES):
            raise Unavailable("only JPEG and PNG pictures are decoded on the host")
        decoder = self._take()
        try:
            return decoder.make(data, px)
        finally:
            self._give_back(decoder)

    def _take(self) -> _Decoder:
        while True:
            with self._lock:
                if self._unavailable is not None or self._closed:
                    raise Unavailable(self._unavailable or "the app is ending")
                with contextlib.suppress(queue.Empty):
                    return self._idle.get_nowait()
                start = self._started < self.size
                self._started += start
            if start:
                return self._start()
            with contextlib.suppress(queue.Empty):
                return self._idle.get(timeout=0.25)

    def _start(self) -> _Decoder:
        try:
            decoder = _Decoder(self.backends)
            with self._lock:
                self._live.add(decoder)
            return decoder
        except (Unavailable, DecodeError, OSError) as exc:
            with self._lock:
                self._started -= 1
                self._unavailable = str(exc)
            raise Unavailable(str(exc)) from None

    def _give_back(self, decoder: _Decoder) -> None:
        if decoder.alive and not self._closed:
            decoder.used = time.monotonic()
            self._idle.put(decoder)
            self._reap_in(self.idle)
            return
        self._end(decoder)  # killed on a bad file: another starts when one is wanted

    def _end(self, decoder: _Decoder) -> None:
        decoder.close()
        with self._lock:
            self._started -= 1
            self._live.discard(decoder)

    def _reap_in(self, delay: float) -> None:
        with self._lock:
            if self._reaper is None and not self._closed:
                self._reaper = threading.Timer(delay, self._reap)
                self._reaper.daemon = True
                self._reaper.start()

    def _reap(self) -> None:
        """End the decoders unused for ``idle`` seconds; come back for the others."""
        with self._lock:
            self._reaper = None
            waiting: list[_Decoder] = []  # newest first
            with contextlib.suppress(queue.Empty):
                while True:
                    waiting.append(self._idle.get_nowait())
            now = time.monotonic()
            done = [d for d in waiting if now - d.used >= self.idle]
            kept = [d for d in waiting if now - d.used < self.idle]
            for decoder in reversed(kept):  # back on the stack in the order they were in
                self._idle.put(decoder)
        for decoder in done:
            self._end(decoder)
        if kept:
            self._reap_in(max(0.0, min(d.used for d in kept) + self.idle - now))

    def close(self) -> None:
        """End every decoder, busy ones too: the app's end never waits for a picture."""
        self._closed = True
        self.executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            if self._reaper is not None:
                self._reaper.cancel()
            live = list(self._live)
        for decoder in live:
            if decoder.alive:
                decoder.proc.kill()
        while not self._idle.empty():
            self._idle.get().close()

