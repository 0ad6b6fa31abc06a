"""The public read API under /api/v1/articles/: published articles as JSON, no authentication.

Only what the public site shows: the live (signed) version of published articles, never a draft.
Successful answers may be cached for five minutes by anyone: they hold nothing private, and the
audience is in the URL, never taken from a cookie, so a cache keyed by URL serves every reader
correctly (ConditionalGetMiddleware adds the ETag and answers 304 on If-None-Match).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router

from api.errors import ApiError
from api.schemas.articles import (
    CITATION_FIELDS,
    PER_PAGE,
    Article,
    ArticlePage,
    ArticleQuery,
    ListQuery,
    UnknownAudience,
)
from api.schemas.common import SLUG_PATTERN, Error, MethodNotAllowed
from articles.audiences import audiences
from articles.models import Article as ArticleModel
from public.selectors import (
    ArticlePage as PublicPage,
)
from public.selectors import (
    article_page,
    live_reviews,
    published_paginator,
)
from public.selectors.links import RelatedLink
from public.selectors.listing import published_articles_with_review

router = Router(auth=None, tags=["articles"])

CACHE_CONTROL = "public, max-age=300"
# HEAD is answered like GET (caches and link checkers use it); the document lists GET only.
READ = ["GET", "HEAD"]
SLUG = Path(..., pattern=SLUG_PATTERN)


@router.api_operation(
    READ,
    "/articles/",
    response={200: ArticlePage, 404: Error, 405: MethodNotAllowed},
    operation_id="article_list",
    url_name="articles",
    summary="Published articles, latest publication first",
)
def article_list(
    request: HttpRequest, response: HttpResponse, query: Query[ListQuery]
) -> dict[str, Any]:
    """Twenty a page; 404 `invalid_page` for a page that is not there. Three queries whatever
    the data."""
    articles = published_articles_with_review()
    paginator = published_paginator(articles, per_page=PER_PAGE)
    try:
        current = paginator.page(query.page)
    except InvalidPage:
        raise ApiError(
            404,
            "invalid_page",
            f"There is no such page; pages run from 1 to {paginator.num_pages}.",
        ) from None
    rows = list(current.object_list)
    reviews = live_reviews(rows)
    response["Cache-Control"] = CACHE_CONTROL
    return {
        "count": paginator.count,
        "next": _page_url(request, current.next_page_number()) if current.has_next() else None,
        "previous": _page_url(request, current.previous_page_number())
        if current.has_previous()
        else None,
        "results": [
            {
                "slug": article.slug,
                "title": article.live_version.title,
                "summary": article.live_version.summary,
                "url": request.build_absolute_uri(article.get_absolute_url()),
                "api_url": request.build_absolute_uri(
                    reverse("api:article", kwargs={"slug": article.slug})
                ),
                "version": article.live_version.version,
                "content_hash": article.live_version.content_hash,
                "published_at": article.published_at,
                "updated_at": article.live_version.updated_at,
                "review_status": reviews[article.pk].status.value,
                "pending_review": not reviews[article.pk].approved,
            }
            for article in rows
        ],
    }


@router.api_operation(
    READ,
    "/articles/{slug:slug}/",
    response={200: Article, 400: UnknownAudience, 404: Error, 405: MethodNotAllowed},
    operation_id="article_get",
    url_name="article",
    summary="The live (signed) version of a published article, for one audience",
)
def article_detail(
    request: HttpRequest,
    response: HttpResponse,
    query: Query[ArticleQuery],
    slug: str = SLUG,
) -> dict[str, Any]:
    """As the public page shows it. 404 for a draft, an unpublished article and an unknown slug
    alike; 400 `unknown_audience` listing the valid audiences."""
    try:
        page = article_page(slug=slug, audience=audiences()[query.audience])
    except Http404:
        raise ApiError(404, "not_found", "No published article with this slug.") from None
    response["Cache-Control"] = CACHE_CONTROL
    return _article_document(request, page)


def _page_url(request: HttpRequest, number: int) -> str:
    return request.build_absolute_uri(f"{request.path}?page={number}")


def _with_audience(
    request: HttpRequest, article: ArticleModel | RelatedLink, audience_key: str
) -> str:
    return request.build_absolute_uri(f"{article.get_absolute_url()}?audience={audience_key}")


def _article_document(request: HttpRequest, page: PublicPage) -> dict[str, Any]:
    version, article, rendition = page.version, page.article, page.rendition
    audience_key = page.audience.key
    return {
        "slug": article.slug,
        "title": version.title,
        "summary": version.summary,
        "url": _with_audience(request, article, audience_key),
        "audience": audience_key,
        "source_audience": rendition.source_audience,
        "fallback": rendition.is_fallback,
        "version": version.version,
        "content_hash": version.content_hash,
        "published_at": article.published_at,
        "updated_at": version.updated_at,
        "authors": page.authors,
        "body_html": rendition.body_html,
        "citations": [
            {name: citation.get(name, "") for name in CITATION_FIELDS}
            for citation in rendition.citations
        ],
        "further_reading": [
            {name: entry.get(name, "") for name in CITATION_FIELDS[1:]}
            for entry in rendition.further_reading
        ],
        "review": {
            "status": page.status.value,
            "pending_review": page.pending_review,
            "reviewed_by": [
                {
                    "name": signoff.printed_name,
                    "credentials": signoff.credentials,
                    "signed_at": signoff.signed_at,
                    "version": signoff.version,
                    "content_hash": signoff.content_hash,
                    "profile_url": (
                        request.build_absolute_uri(profile.get_absolute_url())
                        if (profile := page.reviewers.get(signoff.reviewer_id))
                        else None
                    ),
                }
                for signoff in page.approvals
            ],
            "last_reviewed": page.last_reviewed,
            "next_review_due": page.next_review_due,
        },
        "disclaimer": page.disclaimer,
        "related": [
            {
                "slug": related.slug,
                "title": related.title,
                "url": _with_audience(request, related, audience_key),
            }
            for related in page.related
        ],
    }
