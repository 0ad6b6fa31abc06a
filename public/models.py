"""The search entries: one row per published article and audience, what search reads.

Search used to match expression indexes over every version in the history table, recompute the
title and summary vectors of every match to rank them, and turn whole texts into snippets; with
a common word that is most of the library per request. An entry holds, for the live version
only, the weighted vectors already computed (public/search_index.py builds them on PostgreSQL;
on SQLite they stay empty and the fallback reads the versions), and the publication time that
orders equally relevant results. The publication effects keep the rows in step through a signal
receiver (public/signals.py); `manage.py search_index_rebuild` rebuilds them all.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from articles.models import Article


class TsVectorField(models.Field):
    """A PostgreSQL tsvector column, written and read only by SQL (public/search_index.py,
    public/search.py); elsewhere a text column that stays empty. Unlike contrib.postgres's
    SearchVectorField it needs no PostgreSQL-only app installed, so SQLite runs the same schema."""

    description = "Full-text search vector (PostgreSQL)"

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class SearchEntry(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="search_entries")
    audience = models.CharField(max_length=32)
    published_at = models.DateTimeField()
    # Title (weight A) and summary (B): the rank. Small, so it stays in the row.
    head = TsVectorField(null=True)
    # head, then the text this audience is shown (C), as the article page resolves it: the match.
    document = TsVectorField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "audience"], name="search_entry_unique")
        ]
        # The newest matches of a common word are read in this order and the read stops early.
        # The GIN indexes on head and document are PostgreSQL's (public migration 0001).
        indexes = [
            models.Index(
                "audience",
                models.F("published_at").desc(),
                models.F("article").desc(),
                name="search_entry_recent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ({self.audience})"
