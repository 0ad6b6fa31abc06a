"""Paths, loopback addresses and the console line shared by the benchmark runner's modules.

bench/run.py, bench/servers.py, bench/targets.py and bench/scale.py all start subprocesses from
the repository with this Python, write under bench/results and talk to the same local services.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
RESULTS = HERE / "results"
DB_BASE = os.environ.get("BENCH_DATABASE_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def say(message: str) -> None:
    """One progress line of the runner."""
    print(f"== bench: {message}", flush=True)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, recorded around every load pass."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"
