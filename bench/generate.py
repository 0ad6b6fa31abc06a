"""Generate benchmark data at a chosen scale, fast: bulk inserts, not the services.

    .venv/bin/python bench/generate.py --articles 1000 [--versions 5] [--keep-db] [--no-progress]

The entry script (bench/run.py and the README call it by path); the generator itself is the
bench.generation package, whose docstring describes the data. The names below are re-exported
for callers that import them from here (tests/test_bench_smoke.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generation import (  # noqa: E402
    BENCH_PASSWORD,
    CONDITIONS,
    FEATURED_SLUG,
    WRITE_PATH_SLUGS,
    generate,
)
from bench.generation.cli import main  # noqa: E402

__all__ = ["BENCH_PASSWORD", "CONDITIONS", "FEATURED_SLUG", "WRITE_PATH_SLUGS", "generate", "main"]

if __name__ == "__main__":
    main()
