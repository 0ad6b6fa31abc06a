"""Workspace pages to read: dashboard, the article, its history, diffs, versions, dossier."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from articles.models import Article
from reviews.selectors import audit, roles, workspace
from reviews.selectors import dashboard as dashboards
from reviews.views.common import article_or_404, article_page


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/dashboard.html",
        dashboards.dashboard(user=request.user, params=request.GET),
    )


@login_required
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_or_404(request, slug)
    return article_page(request, article)


@login_required
def history(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_or_404(request, slug)
    return render(
        request,
        "reviews/history.html",
        workspace.version_history(article=article, page_number=request.GET.get("page")),
    )


@login_required
def diff(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_or_404(request, slug)
    to_version = _version_param(request, "to", article=article, default=article.version)
    from_version = _version_param(request, "from", article=article, default=max(to_version - 1, 1))
    pair = workspace.version_pair(article=article, from_version=from_version, to_version=to_version)
    if pair is None:
        raise Http404("No such versions.")
    old, new = pair
    return render(
        request, "reviews/diff.html", workspace.version_diff(article=article, old=old, new=new)
    )


@login_required
def version_detail(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = article_or_404(request, slug)
    snapshot = (
        article.history.filter(version=version).first() if version <= article.version else None
    )
    if snapshot is None:
        raise Http404("No such version.")
    return render(
        request,
        "reviews/version.html",
        workspace.version_preview(article=article, snapshot=snapshot),
    )


def _version_param(request: HttpRequest, name: str, *, article: Article, default: int) -> int:
    """A version number from the query string: 400 when it is no number, 404 when the article
    has no such version (checked here, so an absurd number never reaches the database)."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        version = int(raw)
    except ValueError:
        raise BadRequest(f"“{name}” must be a version number, not “{raw[:40]}”.") from None
    if not 1 <= version <= article.version:
        raise Http404(f"This article has no version {raw[:40]}.")
    return version


@login_required
def dossier(request: HttpRequest, slug: str) -> HttpResponse:
    """The evidence dossier, printable; `?format=json` for the same data as JSON."""
    article = article_or_404(request, slug)
    if not roles.can_read_dossier(user=request.user, article=article):
        raise PermissionDenied("The dossier is for editors and this article's reviewers.")
    data = audit.article_dossier(article=article)
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 1, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="{article.slug}-dossier.json"'
        return response
    return render(request, "reviews/dossier.html", {"dossier": data, "article": article})
