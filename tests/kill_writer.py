"""Child process for the kill test: an app server plus a client writing versions of a file.

The client speaks the same file API the app's worker uses and replaces the file the
crash-safe way (temp file, fsync, rename). The parent kills this whole process at random
moments; the file must always be one complete version.
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from urllib.parse import quote

from pyshell import config
from pyshell.testing import app_server

CHUNK = 65536
CHUNKS = 4


def version(n: int) -> bytes:
    return (f"{n:08d}".encode() * (CHUNK // 8)) * CHUNKS


def main() -> None:
    app_dir, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    server = app_server(config.load(app_dir), {"appdata": data_dir})
    server.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def call(op: str, args: dict, body: bytes = b"") -> dict:
        conn.request("POST", f"/_pyshell/api/fs?op={op}", body=body, headers={
            "Host": f"127.0.0.1:{server.port}", **server.credentials(),
            "x-pyshell-fs": quote(json.dumps(args))})
        response = conn.getresponse()
        body = response.read()
        return json.loads(response.getheader("x-pyshell-fs") or body)

    print("READY", flush=True)
    n = int(sys.argv[3])
    while True:
        n += 1
        # The crash-safe replacement pattern, as pyshell.files.atomic_write does it:
        # a temp file beside the target, fsync, rename over it, fsync the folder.
        temp = f".doc.bin.{n}.tmp"
        handle = call("open", {"g": "g0", "p": temp, "write": True, "create": True,
                               "excl": True})["ok"]["handle"]
        data = version(n)
        for i in range(CHUNKS):
            call("write", {"h": handle, "offset": i * CHUNK}, data[i * CHUNK:(i + 1) * CHUNK])
        call("fsync", {"h": handle})
        call("close", {"h": handle})
        call("rename", {"g": "g0", "p": temp, "g2": "g0", "p2": "doc.bin"})
        call("fsyncdir", {"g": "g0", "p": ""})

if __name__ == "__main__":
    main()
