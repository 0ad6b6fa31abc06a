"""Time importing 10,000 RIS records: into a fresh test database (default) or the configured one.

    .venv/bin/python bench/import_references.py [--records N] [--configured-db]

Three runs of the same import service the command uses: a first import (all created), the same
file again (all duplicates, nothing written) and a file that adds a PMCID to every reference
(all updated, saved one by one with a history row each). Each prints seconds and records/s.
With `--configured-db` the records go into DATABASE_URL's database and stay there; by default
a throw-away test database is created (a file for SQLite, `test_<name>` for PostgreSQL) and
dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from references.importing import references_import  # noqa: E402
from references.models import Reference  # noqa: E402

FAMILIES = [
    "Bowden",
    "Foster",
    "Rush",
    "Haffner",
    "Emma",
    "Eastwood",
    "Villa-Suárez",
    "Baujat",
    "Le Merrer",
    "Østergaard",
    "Nakamura",
    "Whyte",
    "Thakker",
    "García-Fontana",
]
GIVEN = [
    "Sasigarn A.",
    "Brian L",
    "Eric T.",
    "Dieter",
    "Francesco",
    "Deborah M.",
    "Jean-Marc",
    "Geneviève",
    "Martine",
    "Søren",
    "Jun",
    "Michael P.",
]
JOURNALS = [
    "Drug Des Devel Ther",
    "Orphanet J Rare Dis",
    "Nat Rev Nephrol",
    "Int J Mol Sci",
    "J Bone Miner Res",
    "Bone",
    "Osteoporos Int",
    "J Clin Endocrinol Metab",
]


def ris_file(count: int, *, with_pmcid: bool) -> str:
    """`count` distinct journal articles, each with authors, DOI and PMID; PMCIDs optional."""
    lines: list[str] = []
    for n in range(count):
        lines.append("TY  - JOUR")
        for a in range(3 + n % 6):
            lines.append(
                f"AU  - {FAMILIES[(n + a) % len(FAMILIES)]}, {GIVEN[(n * 7 + a) % len(GIVEN)]}"
            )
        lines += [
            f"TI  - Bench study {n} of alkaline phosphatase in cohort {n % 97}: outcomes at {n % 13} years",
            f"JO  - {JOURNALS[n % len(JOURNALS)]}",
            f"PY  - {1990 + n % 35}",
            f"VL  - {1 + n % 60}",
            f"IS  - {1 + n % 12}",
            f"SP  - {100 + n % 900}",
            f"EP  - {110 + n % 900}",
            f"DO  - 10.5555/bench.{n}",
            f"AN  - {20_000_000 + n}",
        ]
        if with_pmcid:
            lines.append(f"C2  - PMC{5_000_000 + n}")
        lines += ["ER  - ", ""]
    return "\n".join(lines)


def timed(label: str, path: Path, count: int) -> None:
    started = time.perf_counter()
    plan = references_import(data=path.read_bytes(), filename=path.name)
    seconds = time.perf_counter() - started
    counts = plan.counts
    print(
        f"{label:<22} {seconds:6.2f} s  {count / seconds:8.0f} records/s  "
        f"({counts['create']} created, {counts['update']} updated, {counts['duplicate']} duplicate)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument(
        "--configured-db", action="store_true", help="Use DATABASE_URL's database as it is."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        first = Path(folder) / "bench.ris"
        first.write_text(ris_file(args.records, with_pmcid=False), encoding="utf-8")
        second = Path(folder) / "bench-pmcid.ris"
        second.write_text(ris_file(args.records, with_pmcid=True), encoding="utf-8")
        size = first.stat().st_size / (1024 * 1024)
        old_name = None
        if not args.configured_db:
            if connection.vendor == "sqlite":
                connection.settings_dict["TEST"]["NAME"] = str(Path(folder) / "bench.sqlite3")
            old_name = connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False
            )
        try:
            before = Reference.objects.count()
            print(
                f"{args.records} RIS records ({size:.1f} MB), {connection.vendor} database "
                f"“{connection.settings_dict['NAME']}”, {before} references before"
            )
            timed("first import", first, args.records)
            timed("same file again", first, args.records)
            timed("adds PMCIDs", second, args.records)
            history = Reference.history.count()
            print(
                f"{Reference.objects.count() - before} references added; {history} history rows in all"
            )
        finally:
            if old_name is not None:
                connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
