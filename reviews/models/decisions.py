"""Decisions, each its own append-only row: sign-offs and audit events (hash-chained),
comments and their resolutions, check waivers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from reviews.models.workflow import Meaning, State
from reviews.records import AppendOnlyModel, ChainedRecord


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


# How much rendered text before and after a quote is kept to find it again.
CONTEXT_LENGTH = 32


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
    # The anchor of a passage selected on the rendered page, fixed at creation (a TextQuote-
    # Selector with its source span): where the quote starts in that version's rendered plain
    # text, the Markdown it came from, and a little text around it to find it again once the
    # text changes. Empty on replies, general comments and comments from before anchors.
    rendered_start = models.PositiveIntegerField(null=True, blank=True)
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    prefix = models.CharField(max_length=CONTEXT_LENGTH, blank=True, default="")
    suffix = models.CharField(max_length=CONTEXT_LENGTH, blank=True, default="")
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

    @property
    def is_anchored(self) -> bool:
        """Made by selecting a passage (its place is known), not by pasting a quote."""
        return self.rendered_start is not None


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
