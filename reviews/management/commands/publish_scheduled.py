"""Apply scheduled publications and removals that are due. Run it from cron, e.g. every 5 minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reviews.services.schedule import scheduled_actions_apply


class Command(BaseCommand):
    help = "Publish and unpublish the articles whose scheduled time has come."

    def handle(self, *args: Any, **options: Any) -> None:
        report = scheduled_actions_apply()
        for line in report:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"{len(report)} scheduled action(s) processed."))
