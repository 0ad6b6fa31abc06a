"""Admin for the rows that belong to one article: renditions, scores, reports, citation links.

They live here rather than in articles.admin because who may see them depends on the workflow
(an article's authors and current reviewers), which the content app knows nothing of.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from articles.models import CitationLink, ProblemReport, ReadabilityScore, Rendition
from reviews.admin.scoping import ArticleScopedAdmin


@admin.register(Rendition)
class RenditionAdmin(ArticleScopedAdmin):
    """Renditions are derived and kept; the admin only shows them."""

    by_content_hash = True

    list_display = ["content_hash", "audience", "pipeline", "source_audience", "created_at"]
    list_filter = ["audience", "pipeline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProblemReport)
class ProblemReportAdmin(ArticleScopedAdmin):
    """Readers' reports: editors triage them; the report itself is not edited."""

    list_display = ["article", "version", "kind", "audience", "status", "created_at"]
    list_filter = ["status", "kind"]
    list_editable = ["status"]
    readonly_fields = ["article", "version", "audience", "kind", "message", "email", "created_at"]
    search_fields = ["message", "article__title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ReadabilityScore)
class ReadabilityScoreAdmin(ArticleScopedAdmin):
    """Scores are computed, never typed in."""

    by_content_hash = True

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


@admin.register(CitationLink)
class CitationLinkAdmin(ArticleScopedAdmin):
    """An index kept by publishing; shown for inspection only."""

    list_display = ["article", "reference"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
