"""One rule for every admin page that shows an article or a row of one: who may see it.

A group's `view_…` permission says a person may use the page at all; which articles they see is
the workflow's business (reviews.selectors.roles.visible_articles). Without this, every Author
and Medical reviewer with staff access read every unpublished draft and all its versions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from articles.models import HistoricalArticle
from reviews.selectors.roles import sees_every_article, visible_articles


def scoped_to_visible_articles(
    queryset: QuerySet[Any], *, request: HttpRequest, article_path: str, by_content_hash: bool
) -> QuerySet[Any]:
    """`queryset` narrowed to rows of articles the user may see; unchanged for editors."""
    if sees_every_article(user=request.user):
        return queryset
    visible = visible_articles(user=request.user).values("pk")
    if by_content_hash:
        # Renditions and scores are keyed by content: visible if any version of a visible
        # article had that content.
        hashes = HistoricalArticle.objects.filter(id__in=visible).values("content_hash")
        return queryset.filter(content_hash__in=hashes)
    return queryset.filter(**{f"{article_path}__in" if article_path else "pk__in": visible})


class ArticleScopedAdmin(admin.ModelAdmin):
    """Lists, change pages and history pages limited to the articles the user may see.

    `article_path` is the lookup from this model to its article ("" for the article itself);
    `by_content_hash` scopes content-keyed rows through the article's versions.
    """

    article_path = "article"
    by_content_hash = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped_to_visible_articles(
            super().get_queryset(request),
            request=request,
            article_path=self.article_path,
            by_content_hash=self.by_content_hash,
        )

    def _may_see(self, request: HttpRequest, obj: Any) -> bool:
        # The history pages hand over objects that get_queryset did not choose (a version, a
        # deleted row), so each object is checked on its own, once per request.
        if obj is None or sees_every_article(user=request.user):
            return True
        memo = request.__dict__.setdefault("_editorial_admin_visible", {})
        key = (self.model._meta.label, obj.pk)
        if key not in memo:
            memo[key] = self.get_queryset(request).filter(pk=obj.pk).exists()
        return memo[key]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._may_see(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_see(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_see(request, obj)
