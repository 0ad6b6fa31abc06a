"""Admin for the editorial process. Workflow state, sign-offs and audit events are read-only here:
they change only through reviews.services, and decisions are never edited or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiToken
from references.models import Reference
from reviews.admin.scoping import ArticleScopedAdmin
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    CheckWaiver,
    CommentResolution,
    ReviewComment,
    ReviewerProfile,
    ScheduledRun,
    SignOff,
)
from reviews.services.conflicts import conflicts_set
from reviews.services.evidence import reference_flag


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(SimpleHistoryAdmin):
    list_display = [
        "display_name",
        "credentials",
        "specialty",
        "credentials_verified_on",
        "on_board",
    ]
    search_fields = ["display_name", "specialty"]
    filter_horizontal = ["conflicted_articles"]
    prepopulated_fields = {"slug": ["display_name"]}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The conflicts go through the service, which audits every article touched and voids the
        # reviewer's open assignments; the form's own m2m save must not write them first.
        chosen = form.cleaned_data.pop("conflicted_articles", None)
        super().save_related(request, form, formsets, change)
        if chosen is not None:
            conflicts_set(
                profile=form.instance,
                articles=chosen,
                user=request.user,
                note="Changed in the admin.",
            )


@admin.register(ArticleWorkflow)
class ArticleWorkflowAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    """Read-only: the approvals needed are computed from the text, or set by an editor in the
    workspace (reviews.services.risk), which audits the change."""

    list_display = ["article", "state", "cycle", "approvals_needed", "next_review_due"]
    list_filter = ["state", "high_risk"]


@admin.register(Assignment)
class AssignmentAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    list_display = ["article", "reviewer", "cycle", "due_on", "assigned_by"]


@admin.register(SignOff)
class SignOffAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    list_display = ["article", "printed_name", "meaning", "version", "signed_at"]
    list_filter = ["meaning"]


@admin.register(AuditEvent)
class AuditEventAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    list_display = ["article", "created_at", "actor", "action", "from_state", "to_state", "version"]
    list_filter = ["action"]


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    """The record of scheduled work done: one row per publication, removal or reminder."""

    list_display = ["article", "kind", "assignment", "due", "done_at"]
    list_filter = ["kind"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    list_display = ["article", "author", "audience", "version", "created_at"]


@admin.register(CommentResolution)
class CommentResolutionAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    article_path = "comment__article"

    list_display = ["comment", "resolved_by", "resolved_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued with `manage.py issue_api_token`; the hash is never shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]


@admin.register(CheckWaiver)
class CheckWaiverAdmin(ArticleScopedAdmin, ReadOnlyAdmin):
    list_display = ["article", "check_key", "version", "waived_by", "created_at"]


@admin.register(Reference)
class ReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["citekey", "kind", "year", "doi", "pmid", "retracted_on"]
    list_filter = ["kind"]
    search_fields = ["citekey", "title", "doi", "pmid", "pmcid"]
    autocomplete_fields = ["superseded_by"]

    def save_model(self, request: HttpRequest, obj: Reference, form: Any, change: bool) -> None:
        """Marking a reference retracted or superseded goes through the service that flags
        every article citing it for re-review."""
        retracted = change and "retracted_on" in form.changed_data and obj.retracted_on
        superseded = change and "superseded_by" in form.changed_data and obj.superseded_by
        if not (retracted or superseded):
            super().save_model(request, obj, form, change)
            return
        flagged = []
        if retracted:
            flagged += reference_flag(
                reference=obj,
                user=request.user,
                retracted_on=obj.retracted_on,
                retraction_notice_url=obj.retraction_notice_url,
            )
        if superseded:
            flagged += reference_flag(
                reference=obj, user=request.user, superseded_by=obj.superseded_by
            )
        if flagged:
            messages.warning(
                request,
                f"{len({a.pk for a in flagged})} article(s) citing it are flagged for re-review.",
            )
