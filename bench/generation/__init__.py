"""Generate benchmark data at a chosen scale, fast: bulk inserts, not the services.

    .venv/bin/python bench/generate.py --articles 1000 [--versions 5] [--keep-db] [--no-progress]

Drops and re-creates the PostgreSQL database `editorial_bench_<articles>` (or the one in
DATABASE_URL), migrates it, then writes, in batches, seed-sized articles: about 1,500 words per
audience in four audiences, 20 citations and 10 related articles each, several versions each
(history rows with the version numbers and SHA-256 hashes `articles.content` computes), and the
editorial history around them: workflows in every state, reviewer assignments, sign-offs bound to
version hashes, audit events (hash-chained exactly as reviews.models does), open and resolved
review comments, the reference library, renditions of the live versions and the citation index.

This is seed data, written straight to the tables: one template article is rendered once through
the real pipeline and its HTML is reused for every live version's renditions. The app's code is
used for everything that must agree with it: normalisation, citation keys, content hashes, chain
hashes, rendition pipelines.

Fixed slugs, for the runner: `bench-featured` (a published, approved article: the page under
load), `bench-versions-5` and `bench-versions-50` (approved and published, with 5 and 50
versions: the write-path measurements). Accounts: `editor`, `author`, `reviewer`, `reviewer2` and
more of each, all with the password in BENCH_PASSWORD.

The modules, in the order the data is written: shared (names and sizes), cli (the command line),
database (fresh database, keys, indexes, maintenance), accounts, references (library, topics,
site content), plans, text, articles (versions), workflow (events, sign-offs, assignments),
chain (hash-chained sign-offs and audit events), comments, renditions, copying (COPY on
PostgreSQL, bulk_create elsewhere), and generator (chunks and writer processes). `generate()` is importable: tests/test_bench_smoke.py runs it at 5 articles
on the test database.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.generation.shared import (
    BENCH_PASSWORD,
    CONDITIONS,
    FEATURED_SLUG,
    WRITE_PATH_SLUGS,
)

__all__ = ["BENCH_PASSWORD", "CONDITIONS", "FEATURED_SLUG", "WRITE_PATH_SLUGS", "generate"]


def generate(
    *,
    articles: int,
    versions: float = 5.0,
    seed: int = 2026,
    progress: bool = True,
    out: Any = sys.stdout,
    batch: int = 250,
    jobs: int = 0,
) -> dict[str, Any]:
    """Write one scale of benchmark data into the default database (which should be empty)."""
    # Imported here, not above: the command line imports this package before django.setup()
    # (it first sets DATABASE_URL and re-creates the database), and the writer needs the models.
    from bench.generation.generator import Generator

    return Generator(
        articles=articles,
        versions=versions,
        seed=seed,
        progress=progress,
        out=out,
        batch=batch,
        jobs=jobs,
    ).run()
