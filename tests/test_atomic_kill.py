"""Kill the app process during a stream of crash-safe replacements (temp file, fsync,
rename), 50 times: the file is always either absent (never written) or one complete
version, never a mix or a truncation."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from kill_writer import CHUNK, CHUNKS
from kit.apps import grant_toml, write_app

KILLS = 50


def test_file_survives_kills_mid_write(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", extra_toml=grant_toml("{appdata}", "/data", "rw"))
    data = tmp_path / "appdata"
    target = data / "doc.bin"
    rng = random.Random(1234)
    versions_seen = set()
    for kill in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("kill_writer.py")),
                                 str(app), str(data), str(kill * 1_000_000)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.02, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if not target.exists():
            continue
        content = target.read_bytes()
        assert len(content) == CHUNK * CHUNKS, f"kill {kill}: torn file of {len(content)} bytes"
        number = content[:8]
        assert re.fullmatch(rb"\d{8}", number) and content == number * (len(content) // 8), (
            f"kill {kill}: mixed versions")
        versions_seen.add(number)
    assert len(versions_seen) >= 10, "the writer barely ran; the test proved little"
    leftovers = [p.name for p in data.iterdir() if p.name != "doc.bin"]
    assert all(re.fullmatch(r"\.doc\.bin\.\d+\.tmp", name) for name in leftovers)  # unfinished
