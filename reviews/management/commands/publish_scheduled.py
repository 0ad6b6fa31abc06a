"""Enqueue the scheduled publications and removals that are due.

Run it from cron every few minutes, on every machine if you like: it only enqueues one task per
due item, and each task claims its item (reviews.services.schedule), so it runs once however
many machines enqueue it and however many workers (`manage.py db_worker`) pick it up.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reviews.services.schedule import scheduled_actions_enqueue


class Command(BaseCommand):
    help = "Enqueue the publications and removals whose scheduled time has come (run anywhere)."

    def handle(self, *args: Any, **options: Any) -> None:
        enqueued = scheduled_actions_enqueue()
        for line in enqueued:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"{len(enqueued)} scheduled action(s) enqueued."))
