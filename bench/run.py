"""`make bench`: generate data, serve it with gunicorn, load it, and report (Markdown).

    .venv/bin/python bench/run.py [--scales 1000 100000] [--workers 1 2] [--reps 3] [--duration 10]

For each scale: (1) bench/generate.py into `editorial_bench_<scale>` (dropped and re-created;
`--reuse-db` keeps an existing one); (2) in-process measurements with bench/measure.py: warm
queries per request and latency of every page, history storage per version; (3) gunicorn
(gunicorn.conf.py, sync workers: one, then two) on 127.0.0.1 with DEBUG off, PostgreSQL and Redis,
`DJANGO_SETTINGS_MODULE=bench.settings` (adds the two floors: a constant view returning the
article's HTML from memory, and the same bytes as a static file through whitenoise), loaded by
wrk (or the Python keep-alive client) with 8 connections, 10 s a run, 3 runs interleaved over
every URL, the Wagtail peer (../shared/peer-wagtail) included in the same rotation; (4) a shorter
pass without Redis; (5) the write paths on articles with 5 and 50 versions. Once per run: the
10,000-reference import (bench/import_references.py).

Results: bench/results/latest.md (and .json), printed at the end. Only loopback is contacted.

This script parses the arguments and writes the results; the steps are in bench/scale.py (one
scale), bench/servers.py (gunicorn and the peer), bench/targets.py (the URLs and the load
rotation), bench/load.py (wrk or the Python client) and bench/report.py (the Markdown).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DB_BASE, HERE, PY, REPO, RESULTS, load_average, say  # noqa: E402
from bench.load import Loader  # noqa: E402
from bench.report import markdown  # noqa: E402
from bench.scale import bench_scale  # noqa: E402
from bench.servers import PEER_DIR, Peer  # noqa: E402


def reference_import(env: dict[str, str]) -> dict[str, Any]:
    """Time bench/import_references.py (10,000 RIS records, throw-away database), once a run."""
    script = HERE / "import_references.py"
    if not script.exists():
        return {"note": "bench/import_references.py not found"}
    say(
        "reference import: 10,000 RIS records into a throw-away database (bench/import_references.py)"
    )
    ienv = {k: v for k, v in env.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    ienv["DATABASE_URL"] = f"{DB_BASE}/editorial_bench_import"
    out = subprocess.run(
        [PY, str(script), "--records", "10000"], env=ienv, cwd=REPO, capture_output=True, text=True
    )
    print(out.stdout, flush=True)
    result: dict[str, Any] = {"stdout": out.stdout.strip(), "returncode": out.returncode}
    if out.returncode != 0:
        result["stderr"] = out.stderr[-2000:]
    match = re.search(r"first import\s+([0-9.]+) s", out.stdout)
    if match:
        result["first_import_seconds"] = float(match.group(1))
    return result


def main() -> None:
    """Every scale, then the report: bench/results/latest.md and .json, scale-<n>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=int, default=[1000])
    parser.add_argument("--versions", type=float, default=5.0, help="mean versions per article")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("WARMUP", 1)))
    parser.add_argument("--reps", type=int, default=int(os.environ.get("REPS", 3)))
    parser.add_argument("--conc", type=int, default=int(os.environ.get("CONC", 8)))
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--inprocess-repeat", type=int, default=30)
    parser.add_argument(
        "--reuse-db",
        nargs="*",
        type=int,
        metavar="SCALE",
        help="keep an existing editorial_bench_<scale> (all scales, or only those named)",
    )
    parser.add_argument("--no-wagtail", action="store_true")
    parser.add_argument("--no-peer-bench-sh", action="store_true")
    parser.add_argument("--no-redis-pass", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python client even if wrk is there"
    )
    parser.add_argument(
        "--work-dir", default=os.environ.get("BENCH_WORK_DIR", "/tmp/editorial-bench")
    )
    parser.add_argument("--out", default=str(RESULTS / "latest.md"))
    parser.add_argument(
        "--generation-stats",
        nargs="*",
        default=[],
        metavar="SCALE=PATH",
        help="the stats JSON of a generation done outside this run (generate.py --stats-json), "
        "for a reused database: the report's generation target reads it",
    )
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(50)

    started = time.time()
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    loader = Loader(prefer_wrk=not args.python_client)
    peer = Peer(enabled=not args.no_wagtail)
    peer.setup()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "client": loader.name,
        "cpus": os.cpu_count(),
        "loadavg_start": load_average(),
        "peer": peer.note or f"present ({PEER_DIR})",
        "settings": {
            k: getattr(args, k)
            for k in ("duration", "warmup", "reps", "conc", "workers", "versions")
        },
        "scales": {},
    }
    try:
        if not args.no_import:
            results["import"] = reference_import({**os.environ, "DJANGO_LOG_LEVEL": "WARNING"})
        for scale in args.scales:
            results["scales"][str(scale)] = bench_scale(scale, args, loader, peer, run_id)
            _add_generation_stats(results["scales"][str(scale)], scale, args.generation_stats)
            (RESULTS / f"scale-{scale}.json").write_text(
                json.dumps(results["scales"][str(scale)], indent=1, default=str)
            )
    finally:
        peer.stop()
    results["minutes"] = round((time.time() - started) / 60, 1)
    results["loadavg_end"] = load_average()
    text = markdown(results, previous=_previous_scales(results))
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    print(text)
    say(f"done in {results['minutes']} min: {args.out}")


def _add_generation_stats(result: dict[str, Any], scale: int, given: list[str]) -> None:
    """Timings of a generation done outside this run, where this run reused the database."""
    for item in given:
        named, _, path = item.partition("=")
        if named == str(scale) and "total_seconds" not in result.get("generate", {}):
            try:
                result["generate"] = {**json.loads(Path(path).read_text()), "reused": True}
            except (OSError, ValueError) as error:
                say(f"could not read generation stats {path}: {error}")


def _previous_scales(results: dict[str, Any]) -> dict[str, Any]:
    """Scales measured by an earlier run (bench/results/scale-<n>.json), for the p95 comparison."""
    found = {}
    for path in RESULTS.glob("scale-*.json"):
        scale = path.stem.split("-", 1)[1]
        if scale not in results["scales"]:
            try:
                found[scale] = json.loads(path.read_text())
            except (OSError, ValueError):
                pass
    return found


if __name__ == "__main__":
    main()
