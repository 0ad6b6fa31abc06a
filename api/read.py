"""The public read API under /api/v1/articles/: published articles as JSON, no authentication.

Only what the public site shows: the live (signed) version of published articles, never a draft.
It shares the drafting API's envelope (api.drafting): JSON errors `{"error", "message"}`, 405 with
`Allow` for other methods. Successful answers may be cached for five minutes by anyone: they hold
nothing private, and the audience is in the URL, never taken from a cookie, so a cache keyed by
URL serves every reader correctly.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from api.drafting import ApiError, _endpoint  # the drafting API's envelope: both APIs answer alike
from api.openapi import Section, answer, ref
from articles.audiences import Audience, audiences, default_audience
from articles.models import Article
from public.selectors import (
    ArticlePage,
    article_page,
    live_reviews,
    published_articles,
    published_paginator,
)
from reviews.models import State

PER_PAGE = 20
CACHE_CONTROL = "public, max-age=300"
REVIEW_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED)
CITATION_FIELDS = ("number", "citekey", "kind", "text", "doi", "pmid", "pmcid", "url")


def _public(payload: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(payload)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _page_url(request: HttpRequest, number: int) -> str:
    return request.build_absolute_uri(f"{request.path}?page={number}")


@_endpoint("GET", "HEAD", authenticated=False)
def article_list(request: HttpRequest) -> HttpResponse:
    """Published articles, latest publication first, 20 a page; three queries whatever the data."""
    articles = (
        published_articles()
        .select_related("workflow")
        .only(
            "slug",
            "live_pending_review",
            "published_at",
            "live_version__title",
            "live_version__summary",
            "live_version__version",
            "live_version__content_hash",
            "live_version__updated_at",
            "workflow__state",
            "workflow__last_reviewed_on",
        )
    )
    paginator = published_paginator(articles, per_page=PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise ApiError(
            404,
            "invalid_page",
            f"There is no such page; pages run from 1 to {paginator.num_pages}.",
        ) from None
    rows = list(page.object_list)
    reviews = live_reviews(rows)
    return _public(
        {
            "count": paginator.count,
            "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "previous": _page_url(request, page.previous_page_number())
            if page.has_previous()
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
    )


def _audience(request: HttpRequest) -> Audience:
    """?audience=<key>, else the default audience (never the cookie: answers are cached by URL)."""
    key = request.GET.get("audience")
    if key is None:
        return default_audience()
    configured = audiences()
    if key not in configured:
        raise ApiError(
            400,
            "unknown_audience",
            f"“{key[:60]}” is not an audience; use one of {', '.join(configured)}.",
            audiences=list(configured),
        )
    return configured[key]


@_endpoint("GET", "HEAD", authenticated=False)
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The live version of one published article for one audience, as the public page shows it."""
    audience = _audience(request)
    try:
        page = article_page(slug=slug, audience=audience)
    except Http404:
        raise ApiError(404, "not_found", "No published article with this slug.") from None
    return _public(_article_document(request, page))


def _with_audience(request: HttpRequest, article: Article, audience: Audience) -> str:
    return request.build_absolute_uri(f"{article.get_absolute_url()}?audience={audience.key}")


def _article_document(request: HttpRequest, page: ArticlePage) -> dict[str, Any]:
    version, article, rendition = page.version, page.article, page.rendition
    return {
        "slug": article.slug,
        "title": version.title,
        "summary": version.summary,
        "url": _with_audience(request, article, page.audience),
        "audience": page.audience.key,
        "source_audience": rendition.source_audience,
        "fallback": rendition.is_fallback,
        "version": version.version,
        "content_hash": version.content_hash,
        "published_at": article.published_at,
        "updated_at": version.updated_at,
        "authors": [author.get_full_name() or author.get_username() for author in page.authors],
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
                "title": related.live_version.title,
                "url": _with_audience(request, related, page.audience),
            }
            for related in page.related
        ],
    }


# --- the OpenAPI section (added to api.openapi.SECTIONS) --------------------------------------


def openapi_section() -> Section:
    """The read API's paths and schemas for the OpenAPI document."""
    date_time = {"type": "string", "format": "date-time"}
    nullable_date_time = {"type": ["string", "null"], "format": "date-time"}
    content_hash = {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "SHA-256 of the version's content.",
    }
    status = {
        "type": "string",
        "enum": [state.value for state in REVIEW_STATES],
        "description": "Where the live version stands: approved, or published pending review.",
    }
    slug_parameter = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    cache_header = {"Cache-Control": {"schema": {"type": "string", "const": CACHE_CONTROL}}}
    not_found = answer("No published article with this slug (drafts are not told apart).", "Error")
    citation_properties = {
        "number": {"type": "integer", "minimum": 1, "description": "Vancouver: by first citation."},
        "citekey": {"type": "string"},
        "kind": {"type": "string", "examples": ["journal-article", "guideline"]},
        "text": {"type": "string", "description": "The reference, NLM style, plain text."},
        "doi": {"type": "string"},
        "pmid": {"type": "string"},
        "pmcid": {"type": "string"},
        "url": {"type": "string"},
    }
    schemas = {
        "ArticleSummary": {
            "type": "object",
            "required": [
                "slug",
                "title",
                "summary",
                "url",
                "api_url",
                "version",
                "content_hash",
                "published_at",
                "updated_at",
                "review_status",
                "pending_review",
            ],
            "properties": {
                "slug": {"type": "string"},
                "title": {"type": "string"},
                "summary": {"type": "string"},
                "url": {"type": "string", "format": "uri", "description": "The public page."},
                "api_url": {"type": "string", "format": "uri"},
                "version": {"type": "integer", "minimum": 1},
                "content_hash": content_hash,
                "published_at": nullable_date_time,
                "updated_at": {
                    **date_time,
                    "description": "When this version's content was last changed.",
                },
                "review_status": status,
                "pending_review": {"type": "boolean"},
            },
        },
        "ArticlePage": {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "next": {"type": ["string", "null"], "format": "uri"},
                "previous": {"type": ["string", "null"], "format": "uri"},
                "results": {
                    "type": "array",
                    "items": ref("schemas", "ArticleSummary"),
                    "maxItems": PER_PAGE,
                },
            },
        },
        "Citation": {
            "type": "object",
            "required": list(CITATION_FIELDS),
            "properties": citation_properties,
        },
        "FurtherReading": {
            "type": "object",
            "required": list(CITATION_FIELDS[1:]),
            "description": "A Citation without a number: nothing in the text points at it.",
            "properties": {
                name: schema for name, schema in citation_properties.items() if name != "number"
            },
        },
        "Signature": {
            "type": "object",
            "required": ["name", "credentials", "signed_at", "version", "content_hash"],
            "properties": {
                "name": {"type": "string", "description": "Printed name as signed."},
                "credentials": {"type": "string"},
                "signed_at": date_time,
                "version": {"type": "integer"},
                "content_hash": content_hash,
                "profile_url": {"type": ["string", "null"], "format": "uri"},
            },
        },
        "Article": {
            "type": "object",
            "required": [
                "slug",
                "title",
                "summary",
                "url",
                "audience",
                "source_audience",
                "fallback",
                "version",
                "content_hash",
                "body_html",
                "citations",
                "further_reading",
                "review",
                "disclaimer",
                "related",
            ],
            "properties": {
                "slug": {"type": "string"},
                "title": {"type": "string"},
                "summary": {"type": "string"},
                "url": {
                    "type": "string",
                    "format": "uri",
                    "description": "Canonical page for this audience.",
                },
                "audience": {"type": "string", "enum": list(audiences())},
                "source_audience": {
                    "type": "string",
                    "enum": list(audiences()),
                    "description": "Whose text this is; differs from `audience` on fallback.",
                },
                "fallback": {"type": "boolean"},
                "version": {"type": "integer", "minimum": 1},
                "content_hash": content_hash,
                "published_at": nullable_date_time,
                "updated_at": date_time,
                "authors": {"type": "array", "items": {"type": "string"}},
                "body_html": {"type": "string", "description": "Sanitised HTML of the text."},
                "citations": {"type": "array", "items": ref("schemas", "Citation")},
                "further_reading": {
                    "type": "array",
                    "items": ref("schemas", "FurtherReading"),
                    "description": "Sources the authors list without citing them in the text.",
                },
                "review": {
                    "type": "object",
                    "required": [
                        "status",
                        "pending_review",
                        "reviewed_by",
                        "last_reviewed",
                        "next_review_due",
                    ],
                    "properties": {
                        "status": status,
                        "pending_review": {"type": "boolean"},
                        "reviewed_by": {
                            "type": "array",
                            "items": ref("schemas", "Signature"),
                            "description": "Approvals of this exact version; empty when pending review.",
                        },
                        "last_reviewed": {"type": ["string", "null"], "format": "date"},
                        "next_review_due": {"type": ["string", "null"], "format": "date"},
                    },
                },
                "disclaimer": {"type": "string"},
                "related": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "title", "url"],
                        "properties": {
                            "slug": {"type": "string"},
                            "title": {"type": "string"},
                            "url": {"type": "string", "format": "uri"},
                        },
                    },
                },
            },
        },
        "UnknownAudience": {
            "allOf": [
                ref("schemas", "Error"),
                {
                    "type": "object",
                    "required": ["audiences"],
                    "properties": {
                        "error": {"const": "unknown_audience"},
                        "audiences": {"type": "array", "items": {"type": "string"}},
                    },
                },
            ],
        },
    }
    paths = {
        "/articles/": {
            "get": {
                "operationId": "article_list",
                "summary": "Published articles, latest publication first",
                "tags": ["articles"],
                "security": [],
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "default": 1},
                    },
                ],
                "responses": {
                    "200": {
                        **answer(f"One page of {PER_PAGE}.", "ArticlePage"),
                        "headers": cache_header,
                    },
                    "404": answer("No such page (`invalid_page`).", "Error"),
                    "405": ref("responses", "MethodNotAllowed"),
                },
            },
        },
        "/articles/{slug}/": {
            "parameters": [slug_parameter],
            "get": {
                "operationId": "article_get",
                "summary": "The live (signed) version of a published article, for one audience",
                "tags": ["articles"],
                "security": [],
                "parameters": [
                    {
                        "name": "audience",
                        "in": "query",
                        "description": "Default: the site's default audience. A missing text "
                        "falls back along the audience's order (`fallback`, `source_audience`).",
                        "schema": {
                            "type": "string",
                            "enum": list(audiences()),
                            "default": default_audience().key,
                        },
                    },
                ],
                "responses": {
                    "200": {
                        **answer("The article as readers see it.", "Article"),
                        "headers": cache_header,
                    },
                    "400": answer(
                        "Unknown audience; the valid ones are listed.", "UnknownAudience"
                    ),
                    "404": not_found,
                    "405": ref("responses", "MethodNotAllowed"),
                },
            },
        },
    }
    return Section(
        tag={"name": "articles", "description": "Published articles, read-only and public."},
        paths=paths,
        schemas=schemas,
    )
