"""Keeping the search entries (public.models.SearchEntry) in step with what is live.

On PostgreSQL an entry's vectors are computed by the database from the live version, with the
expressions search has always used: title (A) and summary (B) make `head`, and `document` is
`head` followed by the plain text of the audience's own text, or of the first fallback audience
with one (C), exactly as the article page chooses it. Elsewhere the rows exist without vectors.

`search_entries_sync(article)` runs from a post_save receiver whenever the live version or the
publication time is saved (the publication effects name them in `update_fields`), inside the
same transaction: one statement, an upsert of every audience's row or the removal of them all.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, connections, transaction
from django.db.models.functions import Coalesce

from articles.audiences import Audience, audiences
from articles.models import Article
from public.models import SearchEntry
from public.snippets import plain_text_raw_sql

SEARCH_CONFIG = "english"
_AUDIENCE_KEY = re.compile(r"[a-z0-9_]{1,32}")
_GIN = ("document", "head")


def audience_text_sql(audience: Audience, alias: str = "v") -> tuple[str, list[str]]:
    """The text `audience` is shown, in SQL over the version `alias`: its own, else the first
    fallback with text (texts are normalised on save, so a missing key is the only "no text")."""
    keys = [audience.key, *audience.fallback]
    return "COALESCE(" + ", ".join(f"{alias}.texts ->> %s" for _ in keys) + ", '')", keys


def _entries_select(
    audience: Audience, where: str = "TRUE", where_params: tuple[object, ...] = ()
) -> tuple[str, list[object]]:
    text, text_params = audience_text_sql(audience)
    body, body_params = plain_text_raw_sql(text)
    article = Article._meta.db_table
    versions = Article.history.model._meta.db_table
    sql = (
        f"SELECT a.id, %s, COALESCE(a.published_at, v.history_date), h.head,"
        f" h.head || setweight(to_tsvector(%s::regconfig, {body}), 'C')"
        f" FROM {article} a JOIN {versions} v ON v.history_id = a.live_version_id"
        f" CROSS JOIN LATERAL (SELECT"
        f" setweight(to_tsvector(%s::regconfig, COALESCE(v.title, '')), 'A')"
        f" || setweight(to_tsvector(%s::regconfig, COALESCE(v.summary, '')), 'B') AS head) h"
        f" WHERE a.live_version_id IS NOT NULL AND {where}"
    )
    params = [audience.key, SEARCH_CONFIG, *text_params, *body_params]
    return sql, [*params, SEARCH_CONFIG, SEARCH_CONFIG, *where_params]


def _upsert_sql(selects: list[tuple[str, list[object]]]) -> tuple[str, list[object]]:
    table = SearchEntry._meta.db_table
    sql = (
        f"INSERT INTO {table} (article_id, audience, published_at, head, document) "
        + " UNION ALL ".join(s for s, _ in selects)
        + " ON CONFLICT (article_id, audience) DO UPDATE SET published_at ="
        " EXCLUDED.published_at, head = EXCLUDED.head, document = EXCLUDED.document"
    )
    return sql, [p for _, params in selects for p in params]


def search_entries_sync(article: Article) -> None:
    """Make the article's entries match its live version (none when nothing is live)."""
    if not article.live_version_id:
        SearchEntry.objects.filter(article=article).delete()
    elif connection.vendor == "postgresql":
        sql, params = _upsert_sql(
            [
                _entries_select(audience, "a.id = %s", (article.pk,))
                for audience in audiences().values()
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        SearchEntry.objects.bulk_create(
            [
                SearchEntry(
                    article=article,
                    audience=key,
                    published_at=article.published_at or article.live_version.history_date,
                )
                for key in audiences()
            ],
            update_conflicts=True,
            unique_fields=["article", "audience"],
            update_fields=["published_at"],
        )


def gin_indexes_ensure(keys: list[str]) -> None:
    """The GIN indexes of these audiences' entries (public migration 0001 made those of the
    audiences configured then; an audience added since gets its own here). Run it outside a
    transaction that wrote rows: PostgreSQL builds no index while deferred checks are pending."""
    if connection.vendor != "postgresql":
        return
    table = SearchEntry._meta.db_table
    wanted = {f"search_entry_{column}_{key}": (column, key) for key in keys for column in _GIN}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname = ANY(%s)",
            [table, list(wanted)],
        )
        for (name,) in cursor.fetchall():
            del wanted[name]
        for name, (column, key) in wanted.items():
            if not _AUDIENCE_KEY.fullmatch(key):
                raise ValueError(f"Audience key {key!r} cannot name an index.")
            cursor.execute(
                f"CREATE INDEX {name} ON {table} USING gin ({column}) WHERE audience = '{key}'"
            )


def search_entries_rebuild(*, audience_keys: list[str] | None = None) -> int:
    """Rebuild the entries of every published article (all audiences, or those named); returns
    the number of rows written. One statement per audience, so callers may run them in
    parallel on several connections."""
    configured = audiences()
    keys = audience_keys or list(configured)
    written = 0
    gin_indexes_ensure(keys)
    with transaction.atomic():
        SearchEntry.objects.filter(audience__in=keys).delete()
        SearchEntry.objects.exclude(audience__in=list(configured)).delete()
        for key in keys:
            if connection.vendor == "postgresql":
                sql, params = _upsert_sql([_entries_select(configured[key])])
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    written += cursor.rowcount
            else:
                live = Article.objects.filter(live_version__isnull=False).values_list(
                    "pk", Coalesce("published_at", "live_version__history_date")
                )
                rows = [
                    SearchEntry(article_id=pk, audience=key, published_at=at) for pk, at in live
                ]
                written += len(SearchEntry.objects.bulk_create(rows, batch_size=500))
    return written


def search_entries_rebuild_parallel(*, jobs: int, audience_keys: list[str] | None = None) -> int:
    """search_entries_rebuild, one audience per connection, `jobs` at a time (PostgreSQL, not
    inside a transaction: each audience commits on its own connection)."""
    keys = audience_keys or list(audiences())
    if jobs <= 1 or len(keys) <= 1 or connection.vendor != "postgresql":
        return search_entries_rebuild(audience_keys=keys)
    if connection.in_atomic_block:
        raise RuntimeError("A parallel rebuild cannot run inside a transaction.")
    gin_indexes_ensure(keys)

    def one(key: str) -> int:
        try:
            return search_entries_rebuild(audience_keys=[key])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return sum(pool.map(one, keys))
