"""The editorial workspace: dashboard, article page, edit, history, diff, actions, comments.

Views parse input, call a selector or a service, and render. Permissions are decided by the
services (and by `available_actions`, which draws the buttons from the same table). No view
catches a service's refusal its own way: a form comes back with the reasons through
`reviews.refusals.kept_input`, and whatever escapes is answered by the refusal middleware.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from articles.audiences import audiences
from articles.forms import ArticleContentForm
from articles.models import Article
from articles.rendering import render_markdown
from reviews.diff import diff_fields, diff_versions, plain_fields
from reviews.forms import ActionForm, CommentForm, ReplyForm, ResolveForm
from reviews.refusals import form_reasons, kept_input
from reviews.selectors import audit, roles, workspace
from reviews.selectors import dashboard as dashboards
from reviews.selectors.signing import signature_statement
from reviews.services import comments, content, evidence, topics, transitions
from reviews.services.errors import EditConflict
from reviews.workflow import TRANSITIONS


def _article_or_404(request: HttpRequest, slug: str) -> Article:
    """The article if this user may see it in the workspace; 404 otherwise (no probing)."""
    article = workspace.workspace_article(slug=slug, user=request.user)
    if article is None:
        raise Http404("No article you can see has this address.")
    return article


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/dashboard.html",
        dashboards.dashboard(user=request.user, params=request.GET),
    )


@dataclass(frozen=True)
class Kept:
    """A form of the article page that was refused: which one, what the user typed, and why."""

    form: str  # "comment", "reply", "resolve" or "waive"
    target: int | str  # the thread's id or the check's key ("" for a new comment)
    text: str
    reasons: list[str]

    @property
    def anchor(self) -> str:
        if self.form in ("reply", "resolve"):
            return f"{self.form}-{self.target}"
        return "comments" if self.form == "comment" else "checks"


@login_required
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    return _article_page(request, article)


def _article_page(
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
        shown |= {(form, t.pk) for t in context["open_threads"] for form in ("reply", "resolve")}
        shown |= {("waive", c.key) for c in context["checks"] if c.waivable}
        context["kept_unplaced"] = bool(kept.text.strip()) and (kept.form, kept.target) not in shown
    return render(request, "reviews/article.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors create articles.")
    form = ArticleContentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        with kept_input(form) as attempt:
            if form.is_valid():
                article = content.draft_create(
                    user=request.user,
                    slug=form.cleaned_data["slug"],
                    change_reason=form.cleaned_data["change_reason"],
                    high_risk=form.cleaned_data.get("high_risk", False),
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
    article = _article_or_404(request, slug)
    # Not editable in this state (409) or not by this user (403): the refusal page says why.
    transitions.authorize(
        user=request.user, article=article, workflow=article.workflow, action="edit"
    )
    form = ArticleContentForm(request.POST or None, instance=article)
    status = 200
    if request.method == "POST":
        base_version = _int(request.POST.get("base_version"), article.version)
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
            "form": ArticleContentForm(mine, instance=article),
            "audiences": audiences().values(),
        },
        status=409,
    )


@login_required
@require_POST
def preview(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Render posted Markdown as readers would see it (the edit form's live preview)."""
    text = request.POST.get("text", "")
    with kept_input() as attempt:
        rendered = render_markdown(text, references=workspace.references_for_text(text=text))
        return render(request, "reviews/_preview.html", {"rendered": rendered})
    return render(
        request, "reviews/_preview.html", {"errors": attempt.reasons}, status=attempt.status
    )


@login_required
def history(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    return render(
        request,
        "reviews/history.html",
        workspace.version_history(article=article, page_number=request.GET.get("page")),
    )


@login_required
def diff(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    to_version = _version_param(request, "to", article=article, default=article.version)
    from_version = _version_param(request, "from", article=article, default=max(to_version - 1, 1))
    pair = workspace.version_pair(article=article, from_version=from_version, to_version=to_version)
    if pair is None:
        raise Http404("No such versions.")
    old, new = pair
    return render(
        request,
        "reviews/diff.html",
        {
            "article": article,
            "old": old,
            "new": new,
            "fields": diff_fields(plain_fields(old), plain_fields(new)),
            "texts": diff_versions(old.texts, new.texts),
            "related_changed": old.related_ids != new.related_ids,
        },
    )


@login_required
def version_detail(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = _article_or_404(request, slug)
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


@login_required
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """Confirm and apply one workflow action; signing actions show the statement being signed."""
    article = _article_or_404(request, slug)
    transition = TRANSITIONS.get(name)
    if transition is None or transition.content:
        # Content rows are taken on the edit page and by the restore button, with their input.
        raise Http404("No such action.")
    form = ActionForm(
        request.POST or None, transition=transition, initial={"content_hash": article.content_hash}
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
def revert(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    # Nothing typed to keep: a refusal (stale page, unknown version) is the refusal page.
    reverted = content.version_revert(
        article=article,
        user=request.user,
        to_version=version,
        base_version=_int(request.POST.get("base_version"), -1),
    )
    messages.success(
        request,
        f"Version {version} restored as version {reverted.version}; it must be reviewed again.",
    )
    return redirect("reviews:history", slug=article.slug)


@login_required
@require_POST
def comment_create(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    form = CommentForm(request.POST)
    with kept_input(form) as attempt:
        if form.is_valid():
            comments.comment_create(article=article, user=request.user, **form.cleaned_data)
            messages.success(request, "Comment added.")
            return redirect(f"{article.get_workspace_url()}#comments")
    kept = Kept("comment", "", form.data.get("body", ""), form_reasons(form))
    return _article_page(request, article, comment_form=form, kept=kept, status=attempt.status)


@login_required
@require_POST
def comment_reply(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    form = ReplyForm(request.POST)
    with kept_input(form) as attempt:
        if form.is_valid():
            comments.comment_reply(
                article=article,
                user=request.user,
                comment_id=comment_id,
                body=form.cleaned_data["body"],
            )
            return redirect(f"{article.get_workspace_url()}#comment-{comment_id}")
    kept = Kept("reply", comment_id, form.data.get("body", ""), form_reasons(form))
    return _article_page(request, article, kept=kept, status=attempt.status)


@login_required
@require_POST
def comment_resolve(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    form = ResolveForm(request.POST)
    with kept_input(form) as attempt:
        if form.is_valid():
            comments.comment_resolve(
                article=article,
                user=request.user,
                comment_id=comment_id,
                note=form.cleaned_data["note"],
            )
            return redirect(f"{article.get_workspace_url()}#comments")
    kept = Kept("resolve", comment_id, form.data.get("note", ""), form_reasons(form))
    return _article_page(request, article, kept=kept, status=attempt.status)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


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
@require_POST
def waive_check(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Record why a recommended check may fail on this version."""
    article = _article_or_404(request, slug)
    reason = request.POST.get("reason", "")
    with kept_input() as attempt:
        evidence.check_waive(article=article, user=request.user, check_key=key, reason=reason)
        messages.success(request, "Your reason is recorded for this version.")
        return redirect(f"{article.get_workspace_url()}#checks")
    kept = Kept("waive", key, reason, attempt.reasons)
    return _article_page(request, article, kept=kept, status=attempt.status)


@login_required
def dossier(request: HttpRequest, slug: str) -> HttpResponse:
    """The evidence dossier, printable; `?format=json` for the same data as JSON."""
    article = _article_or_404(request, slug)
    if not roles.can_read_dossier(user=request.user, article=article):
        raise PermissionDenied("The dossier is for editors and this article's reviewers.")
    data = audit.article_dossier(article=article)
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 1, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="{article.slug}-dossier.json"'
        return response
    return render(request, "reviews/dossier.html", {"dossier": data, "article": article})
