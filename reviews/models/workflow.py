"""The running review state: states, reviewer profiles, an article's workflow, assignments."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from reviews.state import (
    StateField,
    StateWriteError,
    WorkflowQuerySet,
    state_assignable,
    state_assignable_now,
)


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under Review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class Meaning(models.TextChoices):
    """What a signature means; the label is the statement the reviewer signs."""

    APPROVED = "approved", "Approved for medical accuracy"
    CHANGES_REQUESTED = "changes_requested", "Reviewed: changes requested before approval"


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it has fewer)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


class ReviewerProfile(models.Model):
    """A Medical Advisory Board member's public profile."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer_profile"
    )
    slug = models.SlugField(max_length=80, unique=True)
    display_name = models.CharField(max_length=120)
    credentials = models.CharField(max_length=120, help_text="E.g. MBBS, MD, FRCP.")
    specialty = models.CharField(max_length=120)
    bio = models.TextField(blank=True)
    conflicts_of_interest = models.TextField(
        blank=True, help_text="Declared conflicts; “None declared.” when there are none."
    )
    conflicted_articles = models.ManyToManyField(
        "articles.Article",
        blank=True,
        related_name="conflicted_reviewers",
        help_text="Articles this reviewer must not approve because of a declared conflict.",
    )
    credentials_verified_on = models.DateField(null=True, blank=True)
    on_board = models.BooleanField(default=True, help_text="Listed on the public board page.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.signature_name

    def get_absolute_url(self) -> str:
        return reverse("public:board") + f"#{self.slug}"

    @property
    def signature_name(self) -> str:
        return f"{self.display_name}, {self.credentials}" if self.credentials else self.display_name

    def credentials_current(self, today: date | None = None) -> bool:
        """Verified within the last EDITORIAL_CREDENTIALS_VALID_MONTHS calendar months."""
        if self.credentials_verified_on is None:
            return False
        today = today or timezone.localdate()
        return today <= add_months(
            self.credentials_verified_on, settings.EDITORIAL_CREDENTIALS_VALID_MONTHS
        )


class ArticleWorkflow(models.Model):
    """The running review state of one article.

    Only the transition service writes `state` (see `moving`); assigning it elsewhere, updating it
    in bulk or creating a workflow anywhere but in draft raises StateWriteError.
    """

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, related_name="workflow"
    )
    state = StateField(max_length=20, choices=State.choices, default=State.DRAFT)
    cycle = models.PositiveIntegerField(
        default=0,
        help_text="Review round; 0 until first submitted, +1 at each submission and resubmission.",
    )
    cycle_started_at = models.DateTimeField(default=timezone.now)
    required_approvals = models.PositiveSmallIntegerField(
        default=1, help_text="The least number of approvals needed on the same version."
    )
    high_risk = models.BooleanField(
        default=False,
        help_text="Computed on each save: the current version has dose statements.",
    )
    dose_statements = models.JSONField(
        default=list,
        blank=True,
        help_text="Computed on each save: [audience, statement] pairs found (the first few).",
    )
    approvals_override = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Set by an editor (reviews.services.risk): replaces the computed number.",
    )
    approvals_override_reason = models.TextField(blank=True)
    review_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Override of the default re-review interval.",
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="Scheduled publication (manage.py publish_scheduled)."
    )
    unpublish_at = models.DateTimeField(
        null=True, blank=True, help_text="Scheduled removal from the public site."
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = WorkflowQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["publish_at"], name="workflow_publish_at"),
            models.Index(fields=["unpublish_at"], name="workflow_unpublish_at"),
            models.Index(fields=["state", "state_changed_at"], name="workflow_state"),
            models.Index(fields=["next_review_due"], name="workflow_next_review"),
        ]

    def __str__(self) -> str:
        return f"{self.article}: {self.get_state_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every article starts in draft; any other state is reached through the table.
        if self._state.adding and self.state != State.DRAFT and not state_assignable_now(self):
            raise StateWriteError("A workflow is created in draft; transitions move it on.")
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # Reloading is not a change: the state read is the one the service last wrote.
        with state_assignable(self):
            super().refresh_from_db(*args, **kwargs)

    @contextmanager
    def moving(self) -> Iterator[None]:
        """Let `state` of this object be assigned inside the block.

        For reviews.services.transitions alone, which applies a row of the transition table and
        records the move in the audit trail in the same transaction.
        """
        with state_assignable(self):
            yield

    @property
    def approvals_computed(self) -> int:
        """What the content asks for: two when the current version has dose statements."""
        return max(self.required_approvals, 2 if self.high_risk else 1)

    @property
    def approvals_needed(self) -> int:
        """The computed number, unless an editor raised or lowered it (with a reason)."""
        if self.approvals_override is not None:
            return self.approvals_override
        return self.approvals_computed

    @property
    def needs_high_risk_quorum(self) -> bool:
        """High-risk for the publication policy: dose statements, or raised by an editor."""
        return self.approvals_needed >= 2


class Assignment(models.Model):
    """A reviewer asked to review an article in one cycle."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    cycle = models.PositiveIntegerField()
    due_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "cycle", "reviewer"], name="assignment_once_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["reviewer", "due_on"], name="assignment_reviewer_due")]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.article} (cycle {self.cycle})"
