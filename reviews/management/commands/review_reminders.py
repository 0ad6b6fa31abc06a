"""Mail whoever is due: re-reviews of published articles and overdue review assignments.

Run it daily from cron. Each run mails everything that is due that day, so run it once a day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from reviews.services.schedule import review_reminders_send


class Command(BaseCommand):
    help = "E-mail reviewers and editors about re-reviews due and review assignments overdue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=14,
            help="Also remind about re-reviews falling due within this many days (default 14).",
        )

    def handle(self, *args: Any, days_ahead: int, **options: Any) -> None:
        with transaction.atomic():
            report = review_reminders_send(days_ahead=days_ahead)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-reviews due: {report['rereviews']}; overdue assignments: {report['overdue']}; "
                f"e-mails queued: {report['emails']}."
            )
        )
