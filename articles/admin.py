"""Admin for content that no review guards: topics, disclaimers, glossary, site pages, reports.

Articles and references are edited in the admin through the workflow's services (reviews.admin).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from articles.models import (
    CitationLink,
    Disclaimer,
    GlossaryTerm,
    ProblemReport,
    ReadabilityScore,
    Rendition,
    SitePage,
    Topic,
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
