"""Shared by the workspace pages: the article a user may see, and its page with kept input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from articles.models import Article
from reviews.forms import CommentForm
from reviews.selectors import workspace


def article_or_404(request: HttpRequest, slug: str) -> Article:
    """The article if this user may see it in the workspace; 404 otherwise (no probing)."""
    article = workspace.workspace_article(slug=slug, user=request.user)
    if article is None:
        raise Http404("No article you can see has this address.")
    return article


@dataclass(frozen=True)
class Kept:
    """A form of the article page that was refused: which one, what the user typed, and why."""

    form: str  # "comment", "reply", "resolve", "waive" or "approvals"
    target: int | str  # the thread's id or the check's key ("" for a new comment)
    text: str
    reasons: list[str]

    @property
    def anchor(self) -> str:
        if self.form in ("reply", "resolve"):
            return f"{self.form}-{self.target}"
        if self.form == "approvals":
            return "approvals-form"
        return "comments" if self.form == "comment" else "checks"


def article_page(
    request: HttpRequest,
    article: Article,
    *,
    comment_form: CommentForm | None = None,
    kept: Kept | None = None,
    status: int = 200,
) -> HttpResponse:
    """The article page; after a refused post, with the user's text back in its form and why."""
    context = workspace.workspace_page(article=article, user=request.user)
    context["comment_form"] = comment_form or CommentForm()
    context["kept"] = kept
    if kept is not None:
        # A reply to a thread closed meanwhile, a reason for a check that passes now: the form
        # it came from is gone from the page, so the summary shows the words instead.
        shown = {("comment", "")}
        shown |= {("reply", t.pk) for t in context["open_threads"]}
        shown |= {("resolve", pk) for pk in context["resolvable"]}
        shown |= {("waive", c.key) for c in context["checks"] if c.waivable}
        context["kept_unplaced"] = bool(kept.text.strip()) and (kept.form, kept.target) not in shown
    return render(request, "reviews/article.html", context, status=status)


def int_param(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
