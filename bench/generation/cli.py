"""The generator's command line: a fresh, migrated database, then one scale of data, then stats.

Sets the bench settings and DATABASE_URL before django.setup(), so it only imports modules that
do not need the app registry; bench/generate.py is the script that calls main().
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import django
from django.core.management import call_command
from django.db import connection

from bench.generation import generate
from bench.generation.database import recreate_database

DESCRIPTION = "Generate benchmark data at a chosen scale, fast: bulk inserts, not the services."


def main() -> None:
    """Parse the arguments, re-create and migrate the database, generate, print the stats."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--versions", type=float, default=5.0, help="mean versions per article (default 5)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop and re-create the database"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--jobs", type=int, default=0, help="writer processes (default: one per core)"
    )
    parser.add_argument("--batch", type=int, default=250, help="articles per transaction")
    parser.add_argument("--stats-json", help="write the row counts and timings here")
    parser.add_argument(
        "--database-name",
        help="the database to (re-)create, editorial_bench_* (default: editorial_bench_<articles>, "
        "or the one in DATABASE_URL); profile into your own without touching a shared one",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "bench-generator-" + hashlib.sha256(os.urandom(16)).hexdigest()
    )
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault(
        "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/editorial_bench_{args.articles}"
    )
    if args.database_name:
        os.environ["DATABASE_URL"] = (
            os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + args.database_name
        )
    url = os.environ["DATABASE_URL"]
    started = time.perf_counter()
    if not args.keep_db and url.startswith(("postgres://", "postgresql://")):
        recreate_database(url)

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    print(
        f"database {connection.settings_dict['NAME']} ready in {migrated:.1f} s; generating {args.articles:,} articles",
        flush=True,
    )
    stats = generate(
        articles=args.articles,
        versions=args.versions,
        seed=args.seed,
        progress=not args.no_progress,
        jobs=args.jobs,
        batch=args.batch,
    )
    stats["total_seconds"] = round(time.perf_counter() - started, 1)
    stats["database"] = connection.settings_dict["NAME"]
    print(json.dumps(stats, indent=1), flush=True)
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(stats, indent=1))
