"""Writing: create and edit an article (with a stale-save conflict page), preview, restore."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from articles import limits
from articles.audiences import audiences
from articles.models import Article
from articles.rendering import render_markdown
from articles.services import audience_rendering
from reviews.diff import diff_fields, diff_versions, plain_fields
from reviews.forms import WorkspaceArticleForm
from reviews.refusals import kept_input
from reviews.selectors import drafting, roles, workspace
from reviews.services import autosave, content, topics, transitions
from reviews.services.errors import EditConflict
from reviews.views.common import article_or_404, int_param


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors create articles.")
    offer = None
    if request.method == "POST":
        form = WorkspaceArticleForm(request.POST, user=request.user)
    else:
        offer = drafting.autosave_offer(user=request.user, article=None)
        initial = offer.initial() if offer else None
        form = WorkspaceArticleForm(user=request.user, initial=initial)
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
                autosave.autosave_discard(user=request.user, article=None)
                messages.success(request, "Draft created (version 1).")
                return redirect("reviews:article", slug=article.slug)
        status = attempt.status
    return _editor(request, form=form, article=None, offer=offer, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_or_404(request, slug)
    # Not editable in this state (409) or not by this user (403): the refusal page says why.
    transitions.authorize(
        user=request.user, article=article, workflow=article.workflow, action="edit"
    )
    offer, restored = None, False
    if request.method == "POST":
        form = WorkspaceArticleForm(request.POST, instance=article, user=request.user)
    else:
        # An autosave on the version shown goes back into the form; one typed on an older
        # version only when asked (?restore=1): saving it then shows the conflict page, with
        # what the others changed next to this person's text.
        offer = drafting.autosave_offer(user=request.user, article=article)
        restored = bool(offer and (not offer.stale or request.GET.get("restore") == "1"))
        initial = offer.initial() if offer and restored else None
        form = WorkspaceArticleForm(instance=article, user=request.user, initial=initial)
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
                autosave.autosave_discard(user=request.user, article=article)
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
    return _editor(
        request, form=form, article=article, offer=offer, restored=restored, status=status
    )


def _editor(
    request: HttpRequest,
    *,
    form: WorkspaceArticleForm,
    article: Article | None,
    offer: drafting.AutosaveOffer | None = None,
    restored: bool = True,
    status: int = 200,
    template: str = "reviews/edit.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The edit form's page: the form, each audience tab's state, and the autosave offered."""
    context = {
        "form": form,
        "article": article,
        "audiences": audiences().values(),
        "tabs": drafting.tab_states(form=form),
        "offer": offer,
        "restored": bool(offer and restored),
        **(extra or {}),
    }
    return render(request, template, context, status=status)


def _conflict(
    request: HttpRequest, *, article: Article, form: BaseForm, base_version: int
) -> HttpResponse:
    """Someone saved first: show what they changed, and keep every word this user typed."""
    base = article.history.filter(version=base_version).first()
    theirs = []
    if base is not None:
        theirs = diff_fields(plain_fields(base), plain_fields(article))
        theirs += diff_versions(base.texts, article.texts)
    # The user's text, now on top of the version they have just been shown the changes to:
    # saving it again after merging is a save, not the same conflict once more.
    mine = form.data.copy()
    mine["base_version"] = str(article.version)
    return _editor(
        request,
        form=WorkspaceArticleForm(mine, instance=article, user=request.user),
        article=article,
        status=409,
        template="reviews/conflict.html",
        extra={"base_version": base_version, "their_changes": [d for d in theirs if d.changed]},
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
    audience = request.POST.get("audience", "")
    tab = None
    with kept_input() as attempt:
        limits.check_text(text, label="The text")
        if audience and audience not in audiences():
            raise ValidationError(f"Unknown audience “{audience[:40]}”.")
        references = workspace.references_for_text(text=text)
        if audience:
            rendered = audience_rendering(text, audience=audience, references=references)
            tab = drafting.tab_state(audience, text)
        else:
            rendered = render_markdown(text, references=references)
        return render(request, "reviews/_preview.html", {"rendered": rendered, "tab": tab})
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
