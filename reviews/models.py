"""The editorial process: workflow state, assignments, sign-offs, audit events, reviewer profiles.

None of this is content: moving an article through the workflow never makes a content version.
Decisions (sign-offs, audit events) are append-only rows: the model refuses updates and deletes.
"""

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

from reviews.records import AppendOnlyModel, ChainedRecord
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


class SignOff(ChainedRecord):
    """A reviewer's electronic signature on one exact version (version number + content hash).

    Printed name and credentials are copied at signing so later profile edits cannot change what
    the record shows. A sign-off counts only while the article's content hash still equals the
    one signed; it is never updated to say so.
    """

    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="signoffs"
    )
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    cycle = models.PositiveIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs"
    )
    printed_name = models.CharField(max_length=120)
    credentials = models.CharField(max_length=120)
    meaning = models.CharField(max_length=20, choices=Meaning.choices)
    statement = models.TextField(help_text="The exact statement shown to the reviewer and signed.")
    note = models.TextField(blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    CHAIN_FIELDS = (
        "article_id",
        "version",
        "content_hash",
        "cycle",
        "reviewer_id",
        "printed_name",
        "credentials",
        "meaning",
        "statement",
        "note",
        "signed_at",
    )

    class Meta:
        ordering = ["signed_at", "pk"]
        indexes = [
            models.Index(fields=["article", "content_hash"], name="signoff_article_hash"),
            models.Index(fields=["reviewer", "signed_at"], name="signoff_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name}: {self.get_meaning_display()} v{self.version}"

    @property
    def signature_name(self) -> str:
        return f"{self.printed_name}, {self.credentials}" if self.credentials else self.printed_name

    def manifest(self) -> str:
        """The signature manifestation: printed name, date and time, meaning, version, hash."""
        return (
            f"{self.signature_name} — {self.get_meaning_display()} — "
            f"{self.signed_at:%Y-%m-%d %H:%M} UTC — version {self.version} "
            f"(SHA-256 {self.content_hash[:12]}…)"
        )


class AuditEvent(ChainedRecord):
    """One step of an article's editorial history: who did what, when, from which state to which."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for system actions (scheduled jobs).",
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    CHAIN_FIELDS = (
        "article_id",
        "actor_id",
        "action",
        "from_state",
        "to_state",
        "version",
        "content_hash",
        "note",
        "created_at",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "created_at"], name="audit_article_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.from_state}->{self.to_state}"


class ReviewComment(AppendOnlyModel):
    """A reviewer's (or author's) comment on a passage of one audience's text, or a reply to one.

    A thread is a root comment and its replies; it is open until a CommentResolution names it.
    """

    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="review_comments"
    )
    cycle = models.PositiveIntegerField()
    version = models.PositiveIntegerField(help_text="The version the comment was written on.")
    audience = models.CharField(max_length=32, blank=True, help_text="Empty: the whole article.")
    quote = models.TextField(blank=True, help_text="The passage commented on, as quoted.")
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "cycle"], name="comment_article_cycle")]

    def __str__(self) -> str:
        return f"{self.author} on {self.article}: {self.body[:40]}"


class CommentResolution(AppendOnlyModel):
    """The closing of a comment thread: who resolved it, when, and why."""

    comment = models.OneToOneField(
        ReviewComment, on_delete=models.PROTECT, related_name="resolution"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Resolved by {self.resolved_by} at {self.resolved_at:%Y-%m-%d %H:%M}"


class CheckWaiver(AppendOnlyModel):
    """A recorded decision to go ahead despite a recommended check failing, for one version."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.PROTECT, related_name="check_waivers"
    )
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    check_key = models.CharField(max_length=60)
    reason = models.TextField()
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "content_hash", "check_key"], name="waiver_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.check_key} waived on v{self.version} by {self.waived_by}"


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
