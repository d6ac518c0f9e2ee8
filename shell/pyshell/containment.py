"""Two ways of keeping a host file operation inside its grant, chosen at run time.

The file service writes every operation once, against a ``Place``: the target of one call
(a name inside a grant, or the grant's root), reached without links. Two kinds exist:

- ``DescriptorPlace``, where the host has openat-style calls and ``O_NOFOLLOW`` (Linux,
  macOS, the BSDs): it holds a descriptor of each folder on the way and works relative to
  the last one, so no name is resolved twice and a link placed at any moment cannot lead
  outside.
- ``PathPlace``, where it does not (Windows): the operating system only takes whole
  paths, which it resolves again at every call. The paths are built from checked names
  only, every folder on the way is checked before and after each call, and what is
  opened is compared with what was checked. Its docstring says what that cannot close.

``PYSHELL_CONTAINMENT`` picks one: ``auto`` (the default: descriptors wherever the host
offers them), ``descriptor``, or ``portable`` (the path-based one, so that its tests run on
Linux too). The choice is by capability, never by the name of the operating system.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, Self

from .capabilities import AccessDenied, Grant, Walk, check_single_file, open_nofollow

ENV = "PYSHELL_CONTAINMENT"
CHOICES = ("auto", "descriptor", "portable")
NAME_SURROGATE = 0x20000000  # a reparse tag that stands for another name: symlink, junction
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO must never block the server
BINARY = getattr(os, "O_BINARY", 0)  # Windows: bytes as they are, no newline translation
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
FOLDER_FDS = hasattr(os, "O_DIRECTORY")  # Windows' os.open cannot open a folder at all
CHMOD_FD = os.chmod in os.supports_fd  # Windows: only from Python 3.13
UTIME_FD = os.utime in os.supports_fd  # Windows: never
RETRIES = 3  # a file that keeps appearing and vanishing while it is opened: refused after


# ---- what may be reached --------------------------------------------------------------------
def is_link(st: os.stat_result) -> bool:
    """A symlink, or (Windows) a junction or another reparse point that names another place.

    Reparse points that only change how a file is stored (cloud placeholders, dedup) carry
    no name-surrogate bit and stay reachable; one whose tag is unknown is treated as a link.
    """
    if stat_mod.S_ISLNK(st.st_mode):
        return True
    if not getattr(st, "st_file_attributes", 0) & stat_mod.FILE_ATTRIBUTE_REPARSE_POINT:
        return False
    tag = getattr(st, "st_reparse_tag", 0)
    return not tag or bool(tag & NAME_SURROGATE)


def listable(st: os.stat_result) -> bool:
    """What a listing shows: regular files and folders, never links or special files."""
    return not is_link(st) and (stat_mod.S_ISREG(st.st_mode) or stat_mod.S_ISDIR(st.st_mode))


def check_plain(st: os.stat_result) -> None:
    """Refuse what is neither a regular file nor a folder (link, FIFO, device, socket)."""
    if is_link(st):
        raise AccessDenied("symlinks are not followed")
    if not listable(st):
        raise AccessDenied("special files (FIFOs, devices, sockets) are not reachable")


def identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def check_same(fd: int, st: os.stat_result) -> None:
    """The open file is the one checked (not swapped for a link or FIFO since)."""
    if identity(os.fstat(fd)) != identity(st):
        raise AccessDenied("the file changed while it was being opened")


def _numbered(st: os.stat_result) -> os.stat_result:
    """Identity checks need file numbers: a file system that gives none (inode 0, some
    Windows network drives) cannot tell a swapped file apart, so it is refused."""
    if not st.st_ino:
        raise AccessDenied("this file system does not number its files")
    return st


def fsync_folder_fd(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # some file systems cannot fsync a folder
            raise


def _not_a_folder() -> OSError:
    return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))


def _is_a_folder() -> OSError:
    return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))


def _nothing() -> None:
    return None


@dataclass
class Listing:
    """A folder being listed: ``fd`` is its descriptor for the change feed (None: it cannot
    be watched), ``check`` runs after the listing and refuses it if the folder was swapped."""

    fd: int | None
    source: int | str
    check: Callable[[], None] = field(default=_nothing)

    def scandir(self) -> AbstractContextManager[Iterator[os.DirEntry[str]]]:
        return os.scandir(self.source)


# ---- the interface ---------------------------------------------------------------------------
class Place(ABC):
    """The target of one operation: ``parts`` inside ``grant``, reached without links.

    ``name`` is the target's name in its folder (None: the grant's root). Changes by name
    (mkdir, rmdir, unlink, rename) need a name: the file service refuses the root first.
    """

    kind: ClassVar[str]
    watchable: ClassVar[bool]  # whether the change feed (inotify) can watch what it reaches
    name: str | None

    @abstractmethod
    def __init__(self, grant: Grant, parts: list[str]) -> None:
        """Reach the folder that holds ``parts[-1]`` (refusing links on the way)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Release what the place holds (descriptors)."""

    @property
    def folder_fd(self) -> int | None:
        """A descriptor of the folder that holds the target, for the change feed."""
        return None

    def _named(self) -> str:
        if self.name is None:
            raise OSError(errno.EPERM, "the grant's root itself cannot be changed")
        return self.name

    @abstractmethod
    def lstat(self) -> os.stat_result:
        """The target's own attributes; a link is reported, never followed."""

    @abstractmethod
    def open(self, flags: int, mode: int = 0o666) -> int:
        """A descriptor of the target file; a link is refused with EACCES."""

    @abstractmethod
    def folder(self) -> AbstractContextManager[Listing]:
        """The target folder, for listing (ENOTDIR if it is none, EACCES if a link)."""

    @abstractmethod
    def fsync_folder(self) -> None:
        """Make the target folder's entries durable."""

    @abstractmethod
    def mkdir(self, mode: int) -> None: ...

    @abstractmethod
    def rmdir(self) -> None: ...

    @abstractmethod
    def unlink(self) -> None: ...

    @abstractmethod
    def rename_to(self, dst: Self) -> None: ...

    @abstractmethod
    def change_in_place(self, st: os.stat_result, mode: int | None, size: int | None) -> None:
        """chmod / truncate of the target ``st`` describes, never through a link."""

    @abstractmethod
    def utime(self, st: os.stat_result, ns: tuple[int, int]) -> None:
        """Set the times of the target ``st`` describes, never through a link."""


# ---- openat-style hosts ----------------------------------------------------------------------
class DescriptorPlace(Walk, Place):
    """Every call relative to the descriptor of the target's folder (``capabilities.Walk``),
    with ``O_NOFOLLOW`` and ``follow_symlinks=False``: nothing is resolved by path."""

    kind = "descriptor"
    watchable = True

    def close(self) -> None:
        os.close(self.fd)

    @property
    def folder_fd(self) -> int | None:
        return self.fd

    def lstat(self) -> os.stat_result:
        return os.stat(self.name or ".", dir_fd=self.fd, follow_symlinks=False)

    def open(self, flags: int, mode: int = 0o666) -> int:
        return open_nofollow(self._named(), flags, self.fd, mode)

    def _open_folder(self) -> int:
        return open_nofollow(self.name or ".", os.O_RDONLY | os.O_DIRECTORY, self.fd)

    @contextmanager
    def folder(self) -> Iterator[Listing]:
        fd = self._open_folder()
        try:
            yield Listing(fd, fd)
        finally:
            os.close(fd)

    def fsync_folder(self) -> None:
        fd = self._open_folder()
        try:
            fsync_folder_fd(fd)
        finally:
            os.close(fd)

    def mkdir(self, mode: int) -> None:
        os.mkdir(self._named(), mode, dir_fd=self.fd)

    def rmdir(self) -> None:
        os.rmdir(self._named(), dir_fd=self.fd)

    def unlink(self) -> None:
        os.unlink(self._named(), dir_fd=self.fd)

    def rename_to(self, dst: Self) -> None:
        os.rename(self._named(), dst._named(), src_dir_fd=self.fd, dst_dir_fd=dst.fd)

    def utime(self, st: os.stat_result, ns: tuple[int, int]) -> None:
        os.utime(self._named(), ns=ns, dir_fd=self.fd, follow_symlinks=False)

    def change_in_place(self, st: os.stat_result, mode: int | None, size: int | None) -> None:
        """Through a descriptor of what was checked, never by name. Linux: an O_PATH one,
        which needs no read or write permission; elsewhere an ordinary non-blocking one."""
        o_path = getattr(os, "O_PATH", None)
        if o_path is None or not os.path.isdir("/proc/self/fd"):
            access = os.O_WRONLY if size is not None else os.O_RDONLY
            fd = open_nofollow(self._named(), access | NONBLOCK, self.fd)
            try:
                check_same(fd, st)
                _chmod_truncate(fd, mode, size)
            finally:
                os.close(fd)
            return
        fd = open_nofollow(self._named(), o_path, self.fd)
        try:
            check_same(fd, st)
            if mode is not None:
                os.chmod(f"/proc/self/fd/{fd}", mode)
            if size is not None:
                _truncate_o_path(fd, size)
        finally:
            os.close(fd)


def _chmod_truncate(fd: int, mode: int | None, size: int | None) -> None:
    if mode is not None:
        os.chmod(fd, mode)
    if size is not None:
        os.ftruncate(fd, size)


def _truncate_o_path(path_fd: int, size: int) -> None:
    """truncate(2) through the descriptor's /proc link: no descriptor of the file is
    opened, and so none is closed, which would drop this process's record locks on it
    (the app's, held for it here). Needs write permission as an open for writing would."""
    if stat_mod.S_ISDIR(os.fstat(path_fd).st_mode):
        raise _is_a_folder()
    os.truncate(f"/proc/self/fd/{path_fd}", size)


# ---- hosts without openat / O_NOFOLLOW ---------------------------------------------------------
class PathPlace(Place):
    """Containment by checked paths, for hosts without openat and ``O_NOFOLLOW`` (Windows).

    What it does: the host path is the grant's root joined with names that passed
    ``capabilities.split`` (no ``..``, separators, NUL, reserved Windows names, or
    trailing dots and spaces). Every folder on the way is ``lstat``-ed from the root down
    and must be a folder that is not a symlink, junction or other name-surrogate reparse
    point; that chain (device and inode of each) is checked again just before and after
    each call. An existing file is opened only after its own lstat, and the descriptor's
    ``fstat`` must show the same device and inode, else it is closed and refused; a new
    file is created with ``O_EXCL`` (which never follows a link at the name itself) and
    then looked up again. chmod, utime and truncate go through such a checked descriptor
    where the host allows. Files are opened non-blocking, so a FIFO never blocks.

    What it cannot close (only handle-relative opens could, which Python's ``os`` does not
    offer on Windows): every call resolves the whole path again. A second process that
    can write into the granted folder (another user of a shared folder, a sandboxed
    program), swapping a folder on the way for a link or junction in the microseconds
    between the check and the call, makes
    - mkdir, rmdir, unlink, rename and the creation of a new file act outside the grant,
      with the user's rights: the check after the call reports EACCES, but the change is
      made; and if the folder is swapped back before that check, nothing is noticed.
      On Windows chmod and utime of folders, and utime (before Python 3.13 also chmod)
      of files, take no descriptor and are in this group too;
    - stat and listdir read names and attributes outside for that moment: refused by the
      check after the call, unless swapped back in between;
    - file contents (open, read, write, truncate, chmod through a descriptor) are
      reached outside only if the folder is swapped out, back and out again across three
      calls a few microseconds apart (the file's lstat, the chain's re-check, the open),
      so that the opened file is the one lstat saw outside. The open that is then
      refused has happened (non-blocking): harmless for files and folders, not
      necessarily for a device a link points to;
    the app's own Python cannot make links (the file service has no call for it), so none
    of this is open to the app alone. It keeps no folder open, so the change feed has
    nothing to watch: nothing it reaches is cached by the worker. On POSIX hosts (this
    class forced for tests) chmod and utime need read permission on the file.
    """

    kind = "portable"
    watchable = False

    def __init__(self, grant: Grant, parts: list[str]) -> None:
        check_single_file(grant, parts)
        self.name = parts[-1] if parts else None
        self._folders = [os.fspath(grant.root)]
        for part in parts[:-1]:
            self._folders.append(os.path.join(self._folders[-1], part))
        self.path = os.path.join(self._folders[-1], self.name) if self.name else self._folders[0]
        self._chain = self._walk()

    def close(self) -> None:
        """Nothing is held between calls: every call names its path."""

    # ---- the chain of folders -------------------------------------------------------------
    def _walk(self) -> list[tuple[int, int]]:
        """Device and inode of the root and each folder on the way, none of them a link."""
        chain = []
        for depth, path in enumerate(self._folders):
            st = os.lstat(path) if depth else os.stat(path)  # the root is the user's choice
            if depth and is_link(st):
                raise AccessDenied("symlinks are not followed")
            if not stat_mod.S_ISDIR(st.st_mode):
                raise _not_a_folder()
            chain.append(identity(st))
        return chain

    def _recheck(self) -> None:
        """The folders on the way are still those walked at first."""
        try:
            same = self._walk() == self._chain
        except OSError:
            same = False
        if not same:
            raise AccessDenied("a folder on the way changed during the call")

    def _by_name(self, call: Callable[[], object]) -> None:
        """A call that resolves the path again, between two checks of the folders."""
        self._recheck()
        call()
        self._recheck()

    # ---- the target -------------------------------------------------------------------------
    def lstat(self) -> os.stat_result:
        st = os.lstat(self.path) if self.name else os.stat(self.path)
        self._recheck()  # a folder swapped before the lstat made it look elsewhere
        return st

    def _folder_stat(self) -> os.stat_result:
        st = self.lstat()
        if is_link(st):
            raise AccessDenied("symlinks are not followed")
        if not stat_mod.S_ISDIR(st.st_mode):
            raise _not_a_folder()
        return st

    def _open_same(self, flags: int, st: os.stat_result) -> int:
        _numbered(st)
        fd = os.open(self.path, flags | NONBLOCK | BINARY)
        try:
            check_same(fd, st)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def open(self, flags: int, mode: int = 0o666) -> int:
        self._named()
        for _ in range(RETRIES):
            try:
                st = self.lstat()
            except FileNotFoundError:
                if not flags & os.O_CREAT:
                    raise
                fd = self._create(flags, mode)
                if fd is None:
                    continue  # created meanwhile by someone else: open that one
                return fd
            fd = self._open_existing(flags, st)
            if fd is not None:
                return fd
        raise AccessDenied("the file kept changing while it was being opened")

    def _open_existing(self, flags: int, st: os.stat_result) -> int | None:
        """The file ``st`` describes; None when it vanished and may be created instead."""
        if flags & os.O_CREAT and flags & os.O_EXCL:
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
        check_plain(st)
        if stat_mod.S_ISDIR(st.st_mode):
            raise _is_a_folder()
        try:
            return self._open_same(flags & ~os.O_CREAT, st)  # never creates through a link
        except FileNotFoundError:
            if not flags & os.O_CREAT:
                raise
            return None

    def _create(self, flags: int, mode: int) -> int | None:
        """A new file, with O_EXCL; None if the name exists by now (and O_EXCL was not
        asked for: then the existing file is opened instead)."""
        try:
            fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL | NONBLOCK | BINARY, mode)
        except FileExistsError:
            if flags & os.O_EXCL:
                raise
            return None
        try:
            check_same(fd, _numbered(os.lstat(self.path)))
            self._recheck()
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextmanager
    def folder(self) -> Iterator[Listing]:
        st = self._folder_stat()
        yield Listing(None, self.path, lambda: self._still(st))

    def _still(self, st: os.stat_result) -> None:
        if identity(self.lstat()) != identity(st):
            raise AccessDenied("the folder changed while it was being listed")

    def fsync_folder(self) -> None:
        st = self._folder_stat()
        if not FOLDER_FDS:
            return  # Windows: a folder cannot be opened with os.open; nothing to flush by
        fd = self._open_same(os.O_RDONLY | O_DIRECTORY, st)
        try:
            fsync_folder_fd(fd)
        finally:
            os.close(fd)

    # ---- changes by name --------------------------------------------------------------------
    def mkdir(self, mode: int) -> None:
        self._named()
        self._by_name(lambda: os.mkdir(self.path, mode))

    def rmdir(self) -> None:
        self._named()
        self._by_name(lambda: os.rmdir(self.path))

    def unlink(self) -> None:
        self._named()
        self._by_name(lambda: os.unlink(self.path))

    def rename_to(self, dst: Self) -> None:
        self._named()
        dst._named()
        dst._recheck()
        self._by_name(lambda: os.replace(self.path, dst.path))  # POSIX rename: replaces
        dst._recheck()

    # ---- changes in place ---------------------------------------------------------------------
    def change_in_place(self, st: os.stat_result, mode: int | None, size: int | None) -> None:
        if size is not None:
            if stat_mod.S_ISDIR(st.st_mode):
                raise _is_a_folder()
            fd = self._open_same(os.O_WRONLY, st)
            try:
                os.ftruncate(fd, size)
            finally:
                os.close(fd)
        if mode is not None:
            self._apply(st, lambda target: os.chmod(target, mode), CHMOD_FD)

    def utime(self, st: os.stat_result, ns: tuple[int, int]) -> None:
        self._apply(st, lambda target: os.utime(target, ns=ns), UTIME_FD)

    def _apply(self, st: os.stat_result, call: Callable[[int | str], object],
               takes_fd: bool) -> None:
        """``call`` on the target ``st`` describes: through a descriptor checked against it
        where the host can, else by name between two checks (see the class docstring)."""
        folder = stat_mod.S_ISDIR(st.st_mode)
        if takes_fd and (FOLDER_FDS or not folder):
            fd = self._open_same(O_DIRECTORY if folder else os.O_RDONLY, st)
            try:
                call(fd)
            finally:
                os.close(fd)
            return
        self._by_name(lambda: call(self.path))
        if identity(self.lstat()) != identity(st):
            raise AccessDenied("the file changed while it was being changed")


# ---- the choice ------------------------------------------------------------------------------
def descriptors_work() -> bool:
    """Whether this host has every openat-style call and ``O_NOFOLLOW`` that
    ``DescriptorPlace`` relies on (Linux, macOS, the BSDs do; Windows does not)."""
    by_dir = (os.open, os.stat, os.mkdir, os.rmdir, os.unlink, os.rename, os.utime)
    return (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
            and all(call in os.supports_dir_fd for call in by_dir)
            and os.stat in os.supports_follow_symlinks
            and os.utime in os.supports_follow_symlinks
            and os.scandir in os.supports_fd)


def choose(setting: str | None = None) -> type[Place]:
    """The strategy ``PYSHELL_CONTAINMENT`` (or ``setting``) asks for on this host."""
    value = (setting if setting is not None else os.environ.get(ENV, "")).strip().lower()
    value = value or "auto"
    if value not in CHOICES:
        raise ValueError(f"{ENV} must be one of {', '.join(CHOICES)}, got {value!r}")
    if value == "portable" or (value == "auto" and not descriptors_work()):
        return PathPlace
    if not descriptors_work():
        raise ValueError(f"{ENV}=descriptor: this host has no openat-style calls")
    return DescriptorPlace
