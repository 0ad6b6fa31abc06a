"""Enqueue the day's reminders: re-reviews of published articles due, review assignments overdue.

Run it from cron, on every machine if you like and as often as you like: each reminder is a task
that claims (kind, article or assignment, day) before it mails, so each is mailed once a day
however many machines enqueue it (reviews.services.schedule).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reviews.services.schedule import review_reminders_enqueue


class Command(BaseCommand):
    help = "Enqueue e-mails to reviewers and editors about re-reviews due and reviews overdue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=14,
            help="Also remind about re-reviews falling due within this many days (default 14).",
        )

    def handle(self, *args: Any, days_ahead: int, **options: Any) -> None:
        report = review_reminders_enqueue(days_ahead=days_ahead)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-reviews due: {report['rereviews']}; overdue assignments: {report['overdue']}; "
                "reminders enqueued (already sent today are left out)."
            )
        )
