"""Admin for the editorial process. Workflow state, sign-offs and audit events are read-only here:
they change only through reviews.services, and decisions are never edited or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiToken
from accounts.security import lockouts_unlock
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    CheckWaiver,
    CommentResolution,
    LoginFailure,
    LoginLockout,
    ReviewComment,
    ReviewerProfile,
    SignOff,
)


class ReadOnlyAdmin(admin.ModelAdmin):
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


@admin.register(ArticleWorkflow)
class ArticleWorkflowAdmin(ReadOnlyAdmin):
    list_display = ["article", "state", "cycle", "approvals_needed", "next_review_due"]
    list_filter = ["state", "high_risk"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["article", "reviewer", "cycle", "due_on", "assigned_by"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ["article", "printed_name", "meaning", "version", "signed_at"]
    list_filter = ["meaning"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["article", "created_at", "actor", "action", "from_state", "to_state", "version"]
    list_filter = ["action"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    list_display = ["article", "author", "audience", "version", "created_at"]


@admin.register(CommentResolution)
class CommentResolutionAdmin(ReadOnlyAdmin):
    list_display = ["comment", "resolved_by", "resolved_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued with `manage.py issue_api_token`; the hash is never shown."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]


@admin.register(CheckWaiver)
class CheckWaiverAdmin(ReadOnlyAdmin):
    list_display = ["article", "check_key", "version", "waived_by", "created_at"]


@admin.register(LoginLockout)
class LoginLockoutAdmin(ReadOnlyAdmin):
    """Locks are made by failed sign-ins and lifted by time or by the "Unlock" action, never edited."""

    list_display = [
        "key",
        "scope",
        "failures",
        "locked_at",
        "locked_until",
        "is_active",
        "unlocked_by",
    ]
    list_filter = ["scope"]
    search_fields = ["key"]
    actions = ["unlock"]

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj: LoginLockout) -> bool:
        return obj.active

    @admin.action(
        description="Unlock the selected accounts or addresses now", permissions=["unlock"]
    )
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginLockout]) -> None:
        lifted = lockouts_unlock(lockouts=queryset, user=request.user)
        self.message_user(request, f"{lifted} lock(s) lifted.", messages.SUCCESS)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("reviews.change_loginlockout")


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "username", "address"]
    search_fields = ["username", "address"]
