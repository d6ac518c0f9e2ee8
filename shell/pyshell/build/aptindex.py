"""The index files of an APT repository: ``Packages`` and ``Release``, as apt reads them.

Pure text from facts (a .deb's control fields, file bytes, a date), so the same inputs
always give the same bytes. apt checks the chain: the signature on ``Release`` (made by
``aptkey``), the SHA256 and size ``Release`` lists for each index, the SHA256 and size
each ``Packages`` stanza gives for its .deb.
"""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Mapping

# The control fields a Packages stanza carries, in this order, when the .deb has them;
# the pool fields (Filename, Size, sums) go before Description, which ends the stanza.
CONTROL_FIELDS = ("Package", "Version", "Architecture", "Maintainer", "Installed-Size",
                  "Depends", "Recommends", "Section", "Priority", "Homepage")
SUITE = "stable"
COMPONENT = "main"


def parse_control(text: str) -> dict[str, str]:
    """deb822 fields of one paragraph; continuation lines stay in their field's value."""
    fields: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and name:
            fields[name] += "\n" + line
        elif ":" in line:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def packages_stanza(control: Mapping[str, str], filename: str, data: bytes) -> str:
    """One package's paragraph: its control fields and where, how big and what hash."""
    lines = [f"{k}: {control[k]}" for k in CONTROL_FIELDS if k in control]
    lines += [f"Filename: {filename}", f"Size: {len(data)}",
              f"MD5sum: {hashlib.md5(data).hexdigest()}",
              f"SHA1: {hashlib.sha1(data).hexdigest()}",
              f"SHA256: {hashlib.sha256(data).hexdigest()}"]
    if "Description" in control:
        lines.append(f"Description: {control['Description']}")
    return "\n".join(lines) + "\n"


def release(origin: str, architectures: str, epoch: int, indexes: Mapping[str, bytes]) -> str:
    """``Release``: what the repository is and the SHA256 and size of each index file
    (paths relative to the ``dists/SUITE`` folder)."""
    lines = [f"Origin: {origin}", f"Label: {origin}", f"Suite: {SUITE}", f"Codename: {SUITE}",
             f"Date: {email.utils.formatdate(epoch, usegmt=True)}",
             f"Architectures: {architectures}", f"Components: {COMPONENT}", "SHA256:"]
    lines += [f" {hashlib.sha256(data).hexdigest()} {len(data):>8} {path}"
              for path, data in sorted(indexes.items())]
    return "\n".join(lines) + "\n"
