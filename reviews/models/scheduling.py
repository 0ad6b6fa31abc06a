"""Claims of scheduled work, so each due item is done once however many workers run."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from reviews.models.workflow import Assignment


class ScheduledRun(models.Model):
    """One piece of scheduled work, claimed by the task that does it: its unique key is the proof.

    Every machine's cron (or worker) may enqueue the same due item; the task inserts this row in
    the transaction that does the work, so a second task for the same key finds it and does
    nothing, and a crash rolls back the claim with the work, leaving it to the next trigger.
    """

    class Kind(models.TextChoices):
        PUBLISH = "publish", "Scheduled publication"
        UNPUBLISH = "unpublish", "Scheduled removal"
        REREVIEW_DUE = "rereview_due", "Re-review reminder"
        ASSIGNMENT_OVERDUE = "assignment_overdue", "Overdue review notice"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(
        Assignment, null=True, on_delete=models.CASCADE, related_name="+"
    )
    # The scheduled time for a publication or removal; the day, for a reminder (one a day).
    due = models.DateTimeField()
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "article", "due"],
                condition=models.Q(assignment__isnull=True),
                name="scheduled_run_once_per_article",
            ),
            models.UniqueConstraint(
                fields=["kind", "assignment", "due"],
                condition=models.Q(assignment__isnull=False),
                name="scheduled_run_once_per_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.article_id} due {self.due:%Y-%m-%d %H:%M}"
