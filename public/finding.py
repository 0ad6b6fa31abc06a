"""Public pages for finding articles and their sources: search, the reference downloads of a
published article (RIS, CSL-JSON), and robots.txt for crawlers."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from articles.audiences import Audience
from public.search import MAX_QUERY_LENGTH, article_search, normalise_query, results_key
from public.selectors.downloads import published_article_references
from public.views import audience_from_request, bad_audience
from references.exporting import (
    CSLJSON_CONTENT_TYPE,
    RIS_CONTENT_TYPE,
    references_to_csljson,
    references_to_ris,
)

# Paths crawlers are asked to leave alone: sign-in, the editorial workspace, the admin and the
# authenticated drafting API. Everything else is public and meant to be found.
ROBOTS_DISALLOW = ("/workspace/", "/admin/", "/accounts/", "/api/v1/drafts/")


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Published articles matching ?q=, with snippets in the reader's audience (as the article page)."""
    audience, from_url = audience_from_request(request)
    response = _search(request, audience=audience, from_url=from_url)
    if not from_url:
        # The cookie chose the audience: this answer depends on it, so it is never shared (see
        # public.middleware); with ?audience=<key>, as every link and the form send, it is.
        patch_vary_headers(response, ["Cookie"])
    return response


def _search(request: HttpRequest, *, audience: Audience, from_url: bool) -> HttpResponse:
    if "audience" in request.GET and not from_url:
        return bad_audience(request, request.GET["audience"])
    query = normalise_query(request.GET.get("q", ""))
    context = {"query": query, "audience": audience, "max_length": MAX_QUERY_LENGTH}
    if len(query) > MAX_QUERY_LENGTH:
        # Refused rather than cut: a cut query silently searches for something else.
        context["error"] = (
            f"Your search is {len(query)} characters long; please use at most {MAX_QUERY_LENGTH}."
        )
        context["query"] = query[:MAX_QUERY_LENGTH]
        return render(request, "articles/search.html", context, status=400)
    if query:
        asked = {"query": query, "audience": audience, "page_number": request.GET.get("page")}
        # The results are read only if their rendering is not kept (templates/articles/search.html).
        context["search_key"] = results_key(**asked)
        context["search_page_params"] = urlencode({"q": query, "audience": audience.key}) + "&"
        context["search"] = SimpleLazyObject(partial(article_search, **asked))
    return render(request, "articles/search.html", context)


@require_GET
@cache_control(public=True, max_age=300)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in ROBOTS_DISALLOW),
        "Allow: /",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _download(content: str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def _published_references(slug: str) -> Any:
    refs = published_article_references(slug=slug)
    if refs is None:
        raise Http404("No published article with this address.")
    return refs


@require_GET
def article_references_ris(request: HttpRequest, slug: str) -> HttpResponse:
    """The references of the published version, as RIS."""
    refs = _published_references(slug)
    return _download(
        references_to_ris(refs), content_type=RIS_CONTENT_TYPE, filename=f"{slug}-references.ris"
    )


@require_GET
def article_references_csljson(request: HttpRequest, slug: str) -> HttpResponse:
    """The references of the published version, as CSL-JSON."""
    refs = _published_references(slug)
    content = json.dumps(references_to_csljson(refs), ensure_ascii=False, indent=2) + "\n"
    return _download(content, content_type=CSLJSON_CONTENT_TYPE, filename=f"{slug}-references.json")
