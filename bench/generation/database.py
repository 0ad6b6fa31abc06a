"""The database around the bulk writes: explicit keys, a fresh database, indexes and maintenance.

PostgreSQL only, apart from next_pk and reset_sequences: the GIN search indexes on versions are
dropped before the writes and built once at the end, in parallel, then ANALYZE and VACUUM run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import psycopg
from django.apps import apps
from django.core.management.color import no_style
from django.db.models import Max


def next_pk(model: Any) -> int:
    """The first free primary key of `model` (rows are written with explicit keys)."""
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def in_outer_transaction(connection: Any) -> bool:
    """Inside a caller's transaction (a test): leave indexes and maintenance alone, since
    other connections would wait on its locks."""
    return connection.in_atomic_block


def drop_search_indexes(connection: Any) -> list[tuple[str, str]]:
    """Drop the GIN indexes on article versions; returns their names and definitions."""
    if connection.vendor != "postgresql" or in_outer_transaction(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
            ["articles_historicalarticle", "%USING gin%"],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return found


def maintenance(
    connection: Any,
    indexes: list[tuple[str, str]],
    *,
    versions: int,
    say: Callable[[str], None],
) -> dict[str, float]:
    """ANALYZE, then the search indexes (two at a time: two cores), then VACUUM; returns timings.

    ANALYZE runs before the GIN expression indexes exist: with them, ANALYZE evaluates the
    four to_tsvector expressions for every sampled version (about 8 ms a row here), which
    would cost more than building the indexes. The planner then lacks statistics on those
    expressions only (it uses the default selectivity for @@) until autovacuum's next analyze.
    VACUUM afterwards sets the visibility map, so autovacuum does not start during a run.
    """
    timings: dict[str, float] = {}
    if connection.vendor != "postgresql" or in_outer_transaction(connection):
        return timings
    settings = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings.get("USER") or None,
        host=settings.get("HOST") or None,
        port=str(settings.get("PORT") or "") or None,
        password=settings.get("PASSWORD") or None,
    )
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
    timings["analyze_seconds"] = round(time.perf_counter() - started, 1)
    if indexes:
        say(f"building {len(indexes)} search indexes over {versions:,} versions ...")
        errors: list[BaseException] = []

        def work(defs: list[str]) -> None:
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("SET maintenance_work_mem = '1GB'")
                    for definition in defs:
                        conn.execute(definition)
            except BaseException as error:  # noqa: BLE001 - re-raised below
                errors.append(error)

        jobs = max(1, min(len(indexes), os.cpu_count() or 2))
        threads = [
            threading.Thread(
                target=work, args=([d for k, (_, d) in enumerate(indexes) if k % jobs == j],)
            )
            for j in range(jobs)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        timings["search_index_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM")
    timings["vacuum_seconds"] = round(time.perf_counter() - started, 1)
    return timings


def write_search_entries(connection: Any, say: Callable[[str], None]) -> dict[str, float]:
    """The search entries of every live article (public.search_index), one audience per
    connection, two at a time (two cores); in a caller's transaction, on its connection."""
    started = time.perf_counter()
    say("writing the search entries ...")
    jobs = 1 if in_outer_transaction(connection) else max(1, min(4, os.cpu_count() or 2))
    # Imported here: cli.py imports this module before django.setup(), and public.search_index
    # imports models, which need the app registry.
    from public.search_index import search_entries_rebuild_parallel  # noqa: PLC0415

    written = search_entries_rebuild_parallel(jobs=jobs)
    return {
        "search_entries": written,
        "search_entries_seconds": round(time.perf_counter() - started, 1),
    }


def reset_sequences(connection: Any) -> None:
    """Move every sequence past the explicit keys the generator wrote."""
    sql = connection.ops.sequence_reset_sql(
        no_style(), list(apps.get_models(include_auto_created=True))
    )
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def recreate_database(url: str) -> None:
    """DROP and CREATE the database named in `url` (PostgreSQL), through the maintenance db."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("editorial_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the generator only recreates editorial_bench* databases"
        )
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback database host: {parsed.hostname}")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
