"""Admin for content. Article edits go through reviews.services, like every other edit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from articles.audiences import audience_keys
from articles.forms import ArticleContentForm, text_field_name
from articles.models import (
    Article,
    CitationLink,
    Disclaimer,
    GlossaryTerm,
    ProblemReport,
    ReadabilityScore,
    Rendition,
    SitePage,
    Topic,
)
from references.models import Reference


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleContentForm
    list_display = ["title", "slug", "version", "is_public", "live_pending_review", "updated_at"]
    search_fields = ["title", "slug"]
    readonly_fields = ["version", "content_hash", "citation_keys", "live_version", "published_at"]

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        text_fields = [text_field_name(key) for key in audience_keys()]
        extra = [] if obj else ["high_risk"]
        return [
            (
                None,
                {"fields": ["slug", "title", "summary", "sources", "related", "topics", *extra]},
            ),
            ("Texts", {"fields": text_fields}),
            ("This change", {"fields": ["change_reason", "change_weight", "base_version"]}),
            ("Version", {"fields": self.readonly_fields}),
        ]

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        from reviews.services import (
            EditConflict,
            WorkflowError,
            article_topics_set,
            draft_create,
            draft_update,
        )

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
                    high_risk=data.get("high_risk", False),
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


@admin.register(Reference)
class ReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["citekey", "kind", "year", "doi", "pmid", "retracted_on"]
    list_filter = ["kind"]
    search_fields = ["citekey", "title", "doi", "pmid", "pmcid"]
    autocomplete_fields = ["superseded_by"]

    def save_model(self, request: HttpRequest, obj: Reference, form: Any, change: bool) -> None:
        """Marking a reference retracted or superseded goes through the service that flags
        every article citing it for re-review."""
        from reviews.services import reference_flag

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


@admin.register(Disclaimer)
class DisclaimerAdmin(SimpleHistoryAdmin):
    list_display = ["audience", "updated_at"]


@admin.register(SitePage)
class SitePageAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "updated_at"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    """Renditions are derived and kept; the admin only shows them."""

    list_display = ["content_hash", "audience", "pipeline", "source_audience", "created_at"]
    list_filter = ["audience", "pipeline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """Readers' reports: editors triage them; the report itself is not edited."""

    list_display = ["article", "version", "kind", "audience", "status", "created_at"]
    list_filter = ["status", "kind"]
    list_editable = ["status"]
    readonly_fields = ["article", "version", "audience", "kind", "message", "email", "created_at"]
    search_fields = ["message", "article__title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ReadabilityScore)
class ReadabilityScoreAdmin(admin.ModelAdmin):
    """Scores are computed, never typed in."""

    list_display = [
        "content_hash",
        "audience",
        "fk_grade",
        "smog",
        "words",
        "library",
        "library_version",
    ]
    list_filter = ["audience", "library_version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(SimpleHistoryAdmin):
    list_display = ["term", "also_matches", "updated_at"]
    search_fields = ["term", "also_matches", "definition"]
    prepopulated_fields = {"slug": ["term"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(CitationLink)
class CitationLinkAdmin(admin.ModelAdmin):
    """An index kept by publishing; shown for inspection only."""

    list_display = ["article", "reference"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
