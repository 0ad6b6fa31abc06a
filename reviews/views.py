"""The editorial workspace: dashboard, article page, edit, history, diff, actions, comments.

Views parse input, call a selector or a service, and render. Permissions are decided by the
services (and by `available_actions`, which draws the buttons from the same table).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from articles.audiences import audiences
from articles.forms import ArticleContentForm
from articles.models import Article
from articles.rendering import render_markdown
from reviews.diff import diff_fields, diff_versions, plain_fields
from reviews.forms import ActionForm, CommentForm, ReplyForm, ResolveForm
from reviews.selectors import audit, roles, workspace
from reviews.selectors import dashboard as dashboards
from reviews.selectors.signing import signature_statement
from reviews.services import comments, content, evidence, topics, transitions
from reviews.services.errors import EditConflict, WorkflowError
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


@login_required
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    context = workspace.workspace_page(article=article, user=request.user)
    context["comment_form"] = CommentForm()
    return render(request, "reviews/article.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    if not roles.can_create_articles(user=request.user):
        raise PermissionDenied("Only authors and editors create articles.")
    form = ArticleContentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = content.draft_create(
                user=request.user,
                slug=form.cleaned_data["slug"],
                change_reason=form.cleaned_data["change_reason"],
                high_risk=form.cleaned_data.get("high_risk", False),
                **form.content_fields(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            topics.article_topics_set(
                article=article, user=request.user, topics=form.cleaned_data["topics"]
            )
            messages.success(request, "Draft created (version 1).")
            return redirect("reviews:article", slug=article.slug)
    return render(
        request,
        "reviews/edit.html",
        {"form": form, "article": None, "audiences": audiences().values()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    article = _article_or_404(request, slug)
    try:
        transitions.authorize(
            user=request.user, article=article, workflow=article.workflow, action="edit"
        )
    except WorkflowError as error:
        messages.error(request, " ".join(error.reasons))
        return redirect("reviews:article", slug=article.slug)
    form = ArticleContentForm(request.POST or None, instance=article)
    if request.method == "POST":
        base_version = _int(request.POST.get("base_version"), article.version)
        if base_version != article.version:
            return _conflict(request, article=article, form=form, base_version=base_version)
        if form.is_valid():
            try:
                updated = content.draft_update(
                    article=article,
                    user=request.user,
                    base_version=base_version,
                    fields=form.content_fields(),
                    change_reason=form.cleaned_data["change_reason"],
                    change_weight=form.cleaned_data["change_weight"],
                )
            except EditConflict:
                article.refresh_from_db()
                return _conflict(request, article=article, form=form, base_version=base_version)
            except WorkflowError as error:
                form.add_error(None, error.reasons)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                topics.article_topics_set(
                    article=updated, user=request.user, topics=form.cleaned_data["topics"]
                )
                if updated.version == base_version:
                    messages.info(request, "Nothing changed, so no new version was made.")
                else:
                    messages.success(request, f"Saved as version {updated.version}.")
                return redirect("reviews:article", slug=article.slug)
    return render(
        request,
        "reviews/edit.html",
        {"form": form, "article": article, "audiences": audiences().values()},
    )


def _conflict(
    request: HttpRequest, *, article: Article, form: Any, base_version: int
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
    try:
        rendered = render_markdown(text, references=workspace.references_for_text(text=text))
    except ValidationError as error:
        return render(request, "reviews/_preview.html", {"errors": error.messages}, status=422)
    return render(request, "reviews/_preview.html", {"rendered": rendered})


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
    newest = article.version
    to_version = _int(request.GET.get("to"), newest)
    from_version = _int(request.GET.get("from"), max(to_version - 1, 1))
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
    snapshot = article.history.filter(version=version).first()
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
    errors: list[str] = []
    status = 200
    try:
        transitions.authorize(
            user=request.user, article=article, workflow=article.workflow, action=name
        )
    except WorkflowError as error:
        errors, status = error.reasons, 409
    if request.method == "POST" and not errors and form.is_valid():
        try:
            transitions.transition_apply(
                article=article,
                user=request.user,
                action=name,
                note=form.cleaned_data["note"],
                password=form.cleaned_data.get("password"),
                params=form.params(),
                request=request,
            )
        except WorkflowError as error:
            errors, status = error.reasons, (409 if error.code == "illegal_state" else 422)
        else:
            messages.success(request, f"{transition.label}: done.")
            return redirect("reviews:article", slug=article.slug)
    elif request.method == "POST" and not errors:
        status = 422
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
            "errors": errors,
            "statement": statement,
        },
        status=status,
    )


@login_required
@require_POST
def revert(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    try:
        reverted = content.version_revert(
            article=article,
            user=request.user,
            to_version=version,
            base_version=_int(request.POST.get("base_version"), -1),
        )
    except EditConflict as error:
        messages.error(request, str(error))
    except WorkflowError as error:
        messages.error(request, " ".join(error.reasons))
    else:
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
    if form.is_valid():
        comments.comment_create(article=article, user=request.user, **form.cleaned_data)
        messages.success(request, "Comment added.")
    else:
        messages.error(request, "A comment needs some text.")
    return redirect(f"{article.get_workspace_url()}#comments")


@login_required
@require_POST
def comment_reply(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    form = ReplyForm(request.POST)
    if form.is_valid():
        comments.comment_reply(
            article=article,
            user=request.user,
            comment_id=comment_id,
            body=form.cleaned_data["body"],
        )
    else:
        messages.error(request, "A reply needs some text.")
    return redirect(f"{article.get_workspace_url()}#comment-{comment_id}")


@login_required
@require_POST
def comment_resolve(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    article = _article_or_404(request, slug)
    form = ResolveForm(request.POST)
    form.is_valid()
    try:
        comments.comment_resolve(
            article=article,
            user=request.user,
            comment_id=comment_id,
            note=form.cleaned_data.get("note", ""),
        )
    except WorkflowError as error:
        messages.error(request, " ".join(error.reasons))
    return redirect(f"{article.get_workspace_url()}#comments")


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_POST
def waive_check(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Record why a recommended check may fail on this version."""
    article = _article_or_404(request, slug)
    try:
        evidence.check_waive(
            article=article, user=request.user, check_key=key, reason=request.POST.get("reason", "")
        )
    except WorkflowError as error:
        messages.error(request, " ".join(error.reasons))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your reason is recorded for this version.")
    return redirect(f"{article.get_workspace_url()}#checks")


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
