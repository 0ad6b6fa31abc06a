"""Admin for content that belongs to no one article: topics, disclaimers, glossary, site pages.

Articles, references and every row of one article (renditions, reports, citation links) are in
reviews.admin, which limits each to the articles the user may see.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from articles.models import (
    Disclaimer,
    GlossaryTerm,
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
