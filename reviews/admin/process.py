"""Admin for the editorial process. Workflow state, sign-offs and audit events are read-only here:
they change only through reviews.services, and decisions are never edited or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ApiToken
from articles.audiences import audience_keys
from articles.forms import ArticleContentForm, text_field_name
from articles.models import Article
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
from reviews.services.content import draft_create, draft_update, version_revert
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.evidence import reference_flag
from reviews.services.topics import article_topics_set


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


@admin.register(Article)
class ArticleAdmin(ArticleScopedAdmin, SimpleHistoryAdmin):
    article_path = ""

    form = ArticleContentForm
    list_display = ["title", "slug", "version", "is_public", "live_pending_review", "updated_at"]
    search_fields = ["title", "slug"]
    readonly_fields = ["version", "content_hash", "citation_keys", "live_version", "published_at"]

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            # View only: every field is shown read-only, so show the model's own fields (the
            # form's per-audience and per-change fields exist only on an editable form).
            return [
                (None, {"fields": ["slug", "title", "summary", "sources", "texts"]}),
                ("Version", {"fields": self.readonly_fields}),
            ]
        text_fields = [text_field_name(key) for key in audience_keys()]
        return [
            (None, {"fields": ["slug", "title", "summary", "sources", "related", "topics"]}),
            ("Texts", {"fields": text_fields}),
            ("This change", {"fields": ["change_reason", "change_weight", "base_version"]}),
            ("Version", {"fields": self.readonly_fields}),
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"picker_user": request.user})

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                draft_update(
                    article=obj,
                    user=request.user,
                    base_version=data["base_version"]
                    if data["base_version"] is not None
                    else obj.version,
                    fields=form.content_fields(),
                    change_reason=data["change_reason"],
                    change_weight=data["change_weight"],
                )
                obj.refresh_from_db()
            else:
                created = draft_create(
                    user=request.user,
                    slug=data["slug"],
                    change_reason=data["change_reason"],
                    **form.content_fields(),
                )
                obj.pk = created.pk
            article_topics_set(article=obj, user=request.user, topics=data["topics"])
        except (EditConflict, WorkflowError) as error:
            raise PermissionDenied(str(error)) from error

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Authors are set by the services; the form carries no many-to-many field of the model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """An old version, and its "Revert" button, which restores it through version_revert.

        simple-history's own revert saves the posted form over the article; here the content is
        the stored version's, restored by the workflow's service: its permission checks, a new
        version that needs new signatures, the "revert" audit event and authorship following
        the text. The posted form is not read.
        """
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        article = get_object_or_404(self.get_queryset(request), pk=int_or_none(object_id))
        version = (
            article.history.filter(history_id=int_or_none(version_id))
            .values_list("version", flat=True)
            .first()
        )
        if version is None:
            raise Http404("No such version of this article.")
        try:
            reverted = version_revert(
                article=article,
                user=request.user,
                to_version=version,
                base_version=article.version,
            )
        except (EditConflict, WorkflowError) as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            f"Version {version} restored as version {reverted.version}; it must be reviewed again.",
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


def int_or_none(value: str) -> int | None:
    """A URL's id as a number, or None (which matches nothing) when it is not one."""
    return int(value) if value.isdigit() and len(value) < 19 else None


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
