"""Confining a process that handles untrusted bytes (``decoder``) to the system calls that
computing on them needs: a seccomp filter, Linux's own way for a process to give up its
rights for good (Chromium's renderers run under one too).

Once confined, a process can read and write the descriptors it already holds, map memory
and start threads, and nothing else: no ``open``, no socket, no ``execve``, no ``fork``, no
``ptrace``; it cannot reach a file, the network or another process, even if a crafted image
takes over the decoder. The filter is set on every thread and kept across anything the
process does after (``no_new_privs``). Only x86-64 Linux is supported; elsewhere
``confine`` raises, and the caller must not go on unconfined.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

_AUDIT_ARCH_X86_64 = 0xC000003E
# x86-64 system call numbers the confined process may make.
_ALLOWED = {
    "read": 0, "write": 1, "close": 3, "fstat": 5, "lseek": 8, "mmap": 9, "mprotect": 10,
    "munmap": 11, "brk": 12, "rt_sigaction": 13, "rt_sigprocmask": 14, "rt_sigreturn": 15,
    "pread64": 17, "readv": 19, "writev": 20, "sched_yield": 24, "mremap": 25, "madvise": 28,
    "getpid": 39, "exit": 60, "sigaltstack": 131, "prctl": 157, "gettid": 186, "futex": 202,
    "sched_getaffinity": 204, "set_tid_address": 218, "clock_gettime": 228,
    "clock_nanosleep": 230, "exit_group": 231, "tgkill": 234, "newfstatat": 262,
    "set_robust_list": 273, "getrandom": 318, "rseq": 334, "membarrier": 324,
    # A thread's own wake-up descriptors (Qt's and GLib's event loops): new ones reach nothing.
    "poll": 7, "ppoll": 271, "eventfd2": 290, "pipe2": 293,
}
_CLONE, _CLONE3, _CLONE_THREAD = 56, 435, 0x00010000
_PR_SET_NO_NEW_PRIVS, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC = 38, 1, 1
_SYS_SECCOMP = 317
# Classic BPF: load word at offset, jump if equal / if bits set, return.
_LD, _JEQ, _JSET, _RET = 0x20, 0x15, 0x45, 0x06
_KILL, _ALLOW = 0x80000000, 0x7FFF0000


def _errno(code: int) -> int:
    return 0x00050000 | code  # SECCOMP_RET_ERRNO


def _program() -> list[tuple[int, int, int, int]]:
    """The filter: wrong architecture -> killed; an allowed call -> made; ``clone`` only to
    start a thread; ``clone3`` -> ENOSYS (its flags are out of the filter's sight, and the
    C library then falls back to ``clone``); anything else -> EPERM."""
    prog = [(_LD, 0, 0, 4), (_JEQ, 1, 0, _AUDIT_ARCH_X86_64), (_RET, 0, 0, _KILL),
            (_LD, 0, 0, 0)]
    for number in sorted(_ALLOWED.values()):
        prog += [(_JEQ, 0, 1, number), (_RET, 0, 0, _ALLOW)]
    prog += [(_JEQ, 0, 1, _CLONE3), (_RET, 0, 0, _errno(errno.ENOSYS)),
             (_JEQ, 0, 3, _CLONE), (_LD, 0, 0, 16),  # the low word of clone's flags
             (_JSET, 0, 1, _CLONE_THREAD), (_RET, 0, 0, _ALLOW),
             (_RET, 0, 0, _errno(errno.EPERM))]
    return prog


def supported() -> bool:
    return sys.platform == "linux" and platform.machine() == "x86_64"


def confine() -> None:
    """Confine this process (all its threads) for the rest of its life; OSError if the
    kernel refuses, RuntimeError where it is not supported."""
    if not supported():
        raise RuntimeError(f"no sandbox for {sys.platform}/{platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    prog = _program()
    code = b"".join(struct.pack("=HBBI", *op) for op in prog)
    filters = ctypes.create_string_buffer(code, len(code))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(prog), ctypes.addressof(filters))
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(_SYS_SECCOMP), ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC),
                          ctypes.c_void_p(ctypes.addressof(fprog)))
    if result != 0:
        code_ = ctypes.get_errno() if result < 0 else errno.EBUSY  # >0: a thread not synced
        raise OSError(code_, "seccomp filter refused")
