"""Rebuild the search entries of every published article (after changing the audiences, their
fallback order or the search expressions, or to repair them)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.audiences import audiences
from public.search_index import search_entries_rebuild_parallel


class Command(BaseCommand):
    help = "Rebuild the search entries of every published article."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--audience", action="append", dest="audiences", help="only this audience (repeat)"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="audiences rebuilt at once, each on its own connection (PostgreSQL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = sorted(set(options["audiences"] or ()) - set(audiences()))
        if unknown:
            raise CommandError(
                f"Unknown audience {', '.join(unknown)}; configured: {', '.join(audiences())}."
            )
        started = time.perf_counter()
        written = search_entries_rebuild_parallel(
            jobs=max(1, options["jobs"]), audience_keys=options["audiences"]
        )
        seconds = time.perf_counter() - started
        self.stdout.write(f"{written} search entries written in {seconds:.1f} s.")
