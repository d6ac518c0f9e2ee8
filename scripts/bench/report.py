"""How every benchmark reports: a dated Markdown table, printed and appended to BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "BENCHMARKS.md"


def publish(title: str, rows: list[str], write: bool = True) -> str:
    """``### title, date, machine`` then the rows; appended to BENCHMARKS.md when ``write``."""
    heading = (f"### {title}, {date.today().isoformat()}, {platform.node()} "
               f"({os.cpu_count()} cores, {platform.platform()})")
    table = "\n".join([heading, "", *rows, ""])
    print(table)
    if write:
        with BENCHMARKS.open("a") as fh:
            fh.write("\n" + table)
    return table


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank: a sample that was measured, not interpolated."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
