"""Writing: create and edit an article (with a stale-save conflict page), preview, restore."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from articles import limits
from articles.audiences import audiences
from articles.forms import ArticleContentForm
from articles.models import Article
from articles.rendering import render_markdown
from reviews.diff import diff_fields, diff_versions, plain_fields
from reviews.refusals import kept_input
from reviews.selectors import roles, workspace
from reviews.services import content, topics, transitions
from reviews.services.errors import EditConflict
from reviews.views.common import article_or_404, int_param


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors create articles.")
    form = ArticleContentForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        with kept_input(form) as attempt:
            if form.is_valid():
                article = content.draft_create(
                    user=request.user,
                    slug=form.cleaned_data["slug"],
                    change_reason=form.cleaned_data["change_reason"],
                    **form.content_fields(),
                )
                topics.article_topics_set(
                    article=article, user=request.user, topics=form.cleaned_data["topics"]
                )
                messages.success(request, "Draft created (version 1).")
                return redirect("reviews:article", slug=article.slug)
        status = attempt.status
    return render(
        request,
        "reviews/edit.html",
        {"form": form, "article": None, "audiences": audiences().values()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_or_404(request, slug)
    # Not editable in this state (409) or not by this user (403): the refusal page says why.
    transitions.authorize(
        user=request.user, article=article, workflow=article.workflow, action="edit"
    )
    form = ArticleContentForm(request.POST or None, instance=article, user=request.user)
    status = 200
    if request.method == "POST":
        base_version = int_param(request.POST.get("base_version"), article.version)
        if base_version != article.version:
            return _conflict(request, article=article, form=form, base_version=base_version)
        with kept_input(form) as attempt:
            if form.is_valid():
                updated = content.draft_update(
                    article=article,
                    user=request.user,
                    base_version=base_version,
                    fields=form.content_fields(),
                    change_reason=form.cleaned_data["change_reason"],
                    change_weight=form.cleaned_data["change_weight"],
                )
                topics.article_topics_set(
                    article=updated, user=request.user, topics=form.cleaned_data["topics"]
                )
                if updated.version == base_version:
                    messages.info(request, "Nothing changed, so no new version was made.")
                else:
                    messages.success(request, f"Saved as version {updated.version}.")
                return redirect("reviews:article", slug=article.slug)
        if isinstance(attempt.error, EditConflict):
            # Someone saved between this page's check and the service's locked one.
            article.refresh_from_db()
            return _conflict(request, article=article, form=form, base_version=base_version)
        status = attempt.status
    return render(
        request,
        "reviews/edit.html",
        {"form": form, "article": article, "audiences": audiences().values()},
        status=status,
    )


def _conflict(
    request: HttpRequest, *, article: Article, form: BaseForm, base_version: int
) -> HttpResponse:
    """Someone saved first: show what they changed, and keep every word this user typed."""
    base = article.history.filter(version=base_version).first()
    theirs = []
    if base is not None:
        theirs = diff_fields(plain_fields(base), plain_fields(article))
        theirs += diff_versions(base.texts, article.texts)
    mine = form.data
    return render(
        request,
        "reviews/conflict.html",
        {
            "article": article,
            "base_version": base_version,
            "their_changes": [d for d in theirs if d.changed],
            "form": ArticleContentForm(mine, instance=article, user=request.user),
            "audiences": audiences().values(),
        },
        status=409,
    )


@login_required
@require_POST
def preview(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Render posted Markdown as readers would see it (the edit form's live preview).

    Only people who may write get it, and only for a text that could be stored: rendering is the
    costly step, so the same size and intricacy limits as for saved texts come first (413 for
    too large, 422 for too intricate).
    """
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors preview article text.")
    text = request.POST.get("text", "")
    with kept_input() as attempt:
        limits.check_text(text, label="The text")
        rendered = render_markdown(text, references=workspace.references_for_text(text=text))
        return render(request, "reviews/_preview.html", {"rendered": rendered})
    status = 413 if isinstance(attempt.error, limits.TextTooLarge) else attempt.status
    return render(request, "reviews/_preview.html", {"errors": attempt.reasons}, status=status)


@login_required
@require_POST
def revert(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = article_or_404(request, slug)
    # Nothing typed to keep: a refusal (stale page, unknown version) is the refusal page.
    reverted = content.version_revert(
        article=article,
        user=request.user,
        to_version=version,
        base_version=int_param(request.POST.get("base_version"), -1),
    )
    messages.success(
        request,
        f"Version {version} restored as version {reverted.version}; it must be reviewed again.",
    )
    return redirect("reviews:history", slug=article.slug)
