"""Which user owns the other end of a loopback TCP connection (Linux), or of a local
socket (``unix_peer_uid``).

Loopback is reachable by every local user. The launch code and session cookie keep other
processes out of the app, but a process of another user should not even get to try: on
Linux the kernel lists every TCP socket with its owner's uid in ``/proc/net/tcp`` (and
``tcp6`` for IPv6 sockets talking to a v4-mapped address), so the server looks up the
client's socket, whose local address is the peer address the server sees.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
_UID_FIELD = 7  # sl local rem st tx:rx tr:when retrnsmt uid ...


def _hex_ipv4(ip: str) -> str:
    """An IPv4 address the way the kernel prints it: one 32-bit word in host byte order."""
    return f"{struct.unpack('=I', socket.inet_aton(ip))[0]:08X}"


def _hex_ipv6(ip: str) -> str:
    """An IPv6 address as the kernel prints it: four 32-bit words, each in host order."""
    raw = socket.inet_pton(socket.AF_INET6, ip)
    return "".join(f"{struct.unpack('=I', raw[i:i + 4])[0]:08X}" for i in range(0, 16, 4))


def _endpoint_keys(ip: str, port: int) -> tuple[str, ...]:
    """How an IPv4 endpoint may appear: in ``tcp``, and v4-mapped in ``tcp6``."""
    return (f"{_hex_ipv4(ip)}:{port:04X}", f"{_hex_ipv6('::ffff:' + ip)}:{port:04X}")


def uid_in_table(text: str, peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid of the socket whose local end is ``peer`` and remote end is ``local``."""
    for peer_key, local_key in zip(_endpoint_keys(*peer), _endpoint_keys(*local), strict=True):
        needle = f" {peer_key} {local_key} "
        at = text.find(needle)
        if at >= 0:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            fields = text[line_start:line_end if line_end >= 0 else None].split()
            return int(fields[_UID_FIELD])
    return None


def read_tables() -> list[str] | None:
    """The kernel's TCP socket tables, or None where there are none to read (not Linux)."""
    texts = []
    for table in TABLES:
        try:
            texts.append(table.read_text())
        except OSError:
            continue
    return texts or None


def lookup(texts: list[str], peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid of the client socket ``peer`` (connected to ``local``) in read tables."""
    for text in texts:
        found = uid_in_table(text, peer, local)
        if found is not None:
            return found
    return None


def peer_uid(peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid owning the client socket ``peer`` connected to ``local``; None where the
    system does not say (no /proc, another OS): the caller then cannot check. -1: listed
    nowhere (the client is gone already), which callers treat as foreign."""
    texts = read_tables()
    if texts is None:
        return None
    found = lookup(texts, peer, local)
    return -1 if found is None else found


def unix_peer_uid(conn: socket.socket) -> int | None:
    """The uid of the process at the other end of an AF_UNIX socket (``SO_PEERCRED``);
    None where the system does not say (not Linux)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option,
                                                          struct.calcsize("3i")))
    return int(uid)
