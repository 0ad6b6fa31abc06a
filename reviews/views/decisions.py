"""Decisions on the article page: workflow actions (signatures included), comments, waivers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reviews.forms import ActionForm, CommentForm, ReplyForm, ResolveForm, SelectionCommentForm
from reviews.refusals import form_reasons, kept_input
from reviews.selectors.actions import action_initial
from reviews.selectors.signing import signature_statement
from reviews.services import comments, evidence, risk, transitions
from reviews.views.common import Kept, article_or_404, article_page
from reviews.workflow import TRANSITIONS


@login_required
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """Confirm and apply one workflow action; signing actions show the statement being signed."""
    article = article_or_404(request, slug)
    transition = TRANSITIONS.get(name)
    if transition is None or transition.content:
        # Content rows are taken on the edit page and by the restore button, with their input.
        raise Http404("No such action.")
    form = ActionForm(
        request.POST or None,
        transition=transition,
        initial=action_initial(article=article, transition=transition),
    )
    status = 200
    # The form is not given to kept_input: the page lists the reasons above it (the form's own
    # field errors stay under its fields), and on a GET there is no bound form to put them on.
    with kept_input() as attempt:
        # Refused before anything is typed when the state does not allow it (409).
        transitions.authorize(
            user=request.user, article=article, workflow=article.workflow, action=name
        )
        if request.method == "POST":
            if form.is_valid():
                transitions.transition_apply(
                    article=article,
                    user=request.user,
                    action=name,
                    note=form.cleaned_data["note"],
                    password=form.cleaned_data.get("password"),
                    params=form.params(),
                    request=request,
                )
                messages.success(request, f"{transition.label}: done.")
                return redirect("reviews:article", slug=article.slug)
            status = 422
    if attempt.refused:
        status = attempt.status
    statement = (
        signature_statement(article=article, meaning_label=transition.signs.label)
        if transition.signs
        else ""
    )
    return render(
        request,
        "reviews/action.html",
        {
            "article": article,
            "transition": transition,
            "form": form,
            "errors": attempt.reasons,
            "statement": statement,
        },
        status=status,
    )


@login_required
@require_POST
def comment_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A comment: on a passage selected in the text (the page's script sends where it is), on a
    quoted passage (the form without script), or on the whole article."""
    article = article_or_404(request, slug)
    selected = any(name in request.POST for name in ("start", "end", "version"))
    form = (SelectionCommentForm if selected else CommentForm)(request.POST)
    with kept_input(form, forbidden=True) as attempt:
        if form.is_valid():
            comment = comments.comment_create(
                article=article, user=request.user, **form.cleaned_data
            )
            messages.success(request, "Comment added.")
            return redirect(f"{article.get_workspace_url()}#comment-{comment.pk}")
    kept = Kept("comment", "", form.data.get("body", ""), form_reasons(form))
    # The passage and the words come back in the form that works without script.
    shown = form if not selected else CommentForm(_comment_fields(request.POST))
    return article_page(request, article, comment_form=shown, kept=kept, status=attempt.status)


def _comment_fields(data: QueryDict) -> dict[str, str]:
    return {name: data.get(name, "") for name in ("audience", "quote", "body")}


@login_required
@require_POST
def comment_reply(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = article_or_404(request, slug)
    form = ReplyForm(request.POST)
    with kept_input(form, forbidden=True) as attempt:
        if form.is_valid():
            comments.comment_reply(
                article=article,
                user=request.user,
                comment_id=comment_id,
                body=form.cleaned_data["body"],
            )
            return redirect(f"{article.get_workspace_url()}#comment-{comment_id}")
    kept = Kept("reply", comment_id, form.data.get("body", ""), form_reasons(form))
    return article_page(request, article, kept=kept, status=attempt.status)


@login_required
@require_POST
def comment_resolve(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = article_or_404(request, slug)
    form = ResolveForm(request.POST)
    with kept_input(form, forbidden=True) as attempt:
        if form.is_valid():
            comments.comment_resolve(
                article=article,
                user=request.user,
                comment_id=comment_id,
                note=form.cleaned_data["note"],
            )
            return redirect(f"{article.get_workspace_url()}#comments")
    kept = Kept("resolve", comment_id, form.data.get("note", ""), form_reasons(form))
    return article_page(request, article, kept=kept, status=attempt.status)


@login_required
@require_POST
def waive_check(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Record why a recommended check may fail on this version."""
    article = article_or_404(request, slug)
    reason = request.POST.get("reason", "")
    with kept_input() as attempt:
        evidence.check_waive(article=article, user=request.user, check_key=key, reason=reason)
        messages.success(request, "Your reason is recorded for this version.")
        return redirect(f"{article.get_workspace_url()}#checks")
    kept = Kept("waive", key, reason, attempt.reasons)
    return article_page(request, article, kept=kept, status=attempt.status)


@login_required
@require_POST
def approvals_set(request: HttpRequest, slug: str) -> HttpResponse:
    """An editor raises or lowers how many approvals the article needs, with a reason."""
    article = article_or_404(request, slug)
    reason = request.POST.get("reason", "")
    raw = request.POST.get("approvals", "").strip()
    with kept_input() as attempt:
        if raw and not raw.isdigit():
            raise ValidationError({"approvals": "Give a whole number of approvals."})
        risk.approvals_set(
            article=article, user=request.user, approvals=int(raw) if raw else None, reason=reason
        )
        messages.success(request, "The approvals needed are changed; the audit trail says why.")
        return redirect(article.get_workspace_url())
    kept = Kept("approvals", "", reason, attempt.reasons)
    return article_page(request, article, kept=kept, status=attempt.status)
