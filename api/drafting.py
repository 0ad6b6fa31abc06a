"""The drafting API under /api/v1/drafts/: draft services over JSON, bearer tokens only.

An operation is authenticated (api.auth), its body parsed (api.body) and checked whole against
its schema (api.schemas.drafts) before anything is written; it then calls `reviews.services` and
answers with the draft. The services decide who may do what; their refusals are answered by
api.handlers.

An article the user holds no role on (editor, one of its authors, assigned reviewer) is answered
404 exactly like one that does not exist, so draft slugs cannot be probed by their status code;
a related slug naming an article the user may not see is refused exactly as an unknown one. A
slug taken on create is 409 whoever holds it, saying neither whose it is nor whether it is live.

Signing is not part of this API: no route leads to a signing transition and the only transition
called here is "submit". A signature needs the reviewer's password and the hash of the version
they read, which belong to the editorial workspace, not to a token a script holds.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Body, Path, Router
from ninja.responses import Status

from api.auth import BearerToken
from api.errors import ApiError, FieldError, field_error, invalid, short, slug_taken
from api.schemas.common import (
    SLUG_PATTERN,
    AlreadyExists,
    Error,
    MethodNotAllowed,
    TooLarge,
    ValidationFailed,
    WorkflowRefusal,
)
from api.schemas.common import EditConflict as Conflict
from api.schemas.drafts import Draft, DraftCreate, DraftUpdate, SubmitRequest
from articles.models import Article
from reviews.models import ReviewComment
from reviews.selectors.roles import relatable_articles, roles_for
from reviews.selectors.workspace import open_comment_threads
from reviews.services.content import draft_create, draft_update
from reviews.services.errors import EditConflict
from reviews.services.transitions import transition_apply

router = Router(auth=BearerToken(), tags=["drafts"])

SlugParameter = Path(..., pattern=SLUG_PATTERN)
# A bare POST is a submission without a version (ninja then passes None).
OPTIONAL_BODY = Body(None)
# Every drafting operation can answer these.
COMMON = {401: Error, 405: MethodNotAllowed}
WITH_BODY = {**COMMON, 400: Error, 413: TooLarge, 415: Error}


@router.post(
    "/drafts/",
    response={201: Draft, **WITH_BODY, 403: Error, 409: AlreadyExists, 422: ValidationFailed},
    operation_id="draft_create",
    url_name="drafts",
    summary="Create a draft (the user becomes its author)",
    exclude_unset=True,
)
def create(request: HttpRequest, payload: DraftCreate, response: HttpResponse) -> Status:
    """Created at version 1, state draft; `Location` is the draft's URL.

    403 when the user is neither an author nor an editor; 409 `already_exists` when the slug is
    taken; 422 `invalid` naming every problem of the body.
    """
    related_ids, problems = _related(payload.related, user=request.auth)
    if problems:
        raise invalid(problems)
    try:
        article = draft_create(
            user=request.auth,
            slug=payload.slug,
            title=payload.title,
            summary=payload.summary,
            texts=payload.texts.model_dump(exclude_unset=True),
            related_ids=related_ids,
            sources=payload.sources,
            change_reason=payload.change_reason,
        )
    except IntegrityError:
        # Another request took the slug between full_clean() and the insert.
        if Article.objects.filter(slug=payload.slug).exists():
            raise slug_taken() from None
        raise
    response["Location"] = request.build_absolute_uri(
        reverse("api:draft", kwargs={"slug": article.slug})
    )
    return Status(201, draft_document(_reloaded(article)))


@router.get(
    "/drafts/{slug:slug}/",
    response={200: Draft, **COMMON, 404: Error},
    operation_id="draft_get",
    url_name="draft",
    summary="Content, version, state and open review comments of a draft",
    exclude_unset=True,
)
def get(request: HttpRequest, slug: str = SlugParameter) -> dict[str, Any]:
    """404 for a draft the user is neither editor, author nor assigned reviewer of, exactly as
    for one that does not exist."""
    return draft_document(_visible_article(slug=slug, user=request.auth))


@router.put(
    "/drafts/{slug:slug}/",
    response={
        200: Draft,
        **WITH_BODY,
        403: Error,
        404: Error,
        409: Conflict | WorkflowRefusal,
        422: ValidationFailed,
    },
    operation_id="draft_update",
    url_name="draft_update",
    summary="Replace the draft's content, from the version the edit started from",
    exclude_unset=True,
)
def put(request: HttpRequest, payload: DraftUpdate, slug: str = SlugParameter) -> dict[str, Any]:
    """Saved; `version` is unchanged when the content was.

    409 `conflict` when the draft is no longer at `version` (nothing was written; keep your
    text), or `illegal_state` when it cannot be edited now; 403 for a user who may see but not
    edit it; 422 `invalid` naming every problem of the body.
    """
    article = _visible_article(slug=slug, user=request.auth)
    problems = _against_draft(payload, article)
    related_ids, unknown = _related(payload.related, user=request.auth, article=article)
    problems += unknown
    if problems:
        raise invalid(problems)
    fields: dict[str, Any] = {
        "title": payload.title,
        "summary": payload.summary,
        "texts": payload.texts.model_dump(exclude_unset=True),
        "related_ids": related_ids,
    }
    if "sources" in payload.model_fields_set:
        fields["sources"] = payload.sources
    article = draft_update(
        article=article,
        user=request.auth,
        base_version=payload.version,
        fields=fields,
        change_reason=payload.change_reason,
        change_weight=payload.change_weight,
    )
    return draft_document(_reloaded(article))


@router.post(
    "/drafts/{slug:slug}/submit",
    response={
        200: Draft,
        **WITH_BODY,
        403: Error,
        404: Error,
        409: Conflict | WorkflowRefusal,
        422: WorkflowRefusal | ValidationFailed,
    },
    operation_id="draft_submit",
    url_name="draft_submit",
    summary="Submit the draft for medical review",
    exclude_unset=True,
)
def submit(
    request: HttpRequest, slug: str = SlugParameter, payload: SubmitRequest = OPTIONAL_BODY
) -> dict[str, Any]:
    """Runs the submission guards (title and summary, required audiences, every citation marker
    resolves); `state` is then `submitted`. There is no signing operation: sign-offs are given in
    the editorial workspace only.

    422 `guards_failed` with every reason; 409 `illegal_state` when not a draft or changes
    requested, or `conflict` when the optional `version` is stale.
    """
    article = _visible_article(slug=slug, user=request.auth)
    base_version = payload.version if payload is not None else None
    _submit(article=article, user=request.auth, base_version=base_version)
    return draft_document(_reloaded(article))


# --- what the operations share ------------------------------------------------------------------


def _visible_article(*, slug: str, user: AbstractBaseUser) -> Article:
    """The article if `user` holds a role on it; 404 otherwise, exactly as if it did not exist."""
    article = Article.objects.select_related("workflow").filter(slug=slug).first()
    try:
        workflow = article.workflow if article is not None else None
    except ObjectDoesNotExist:
        workflow = None
    if workflow is None or not roles_for(user=user, article=article, workflow=workflow):
        raise ApiError(404, "not_found", "No draft with this slug.")
    return article


def _against_draft(payload: DraftUpdate, article: Article) -> list[FieldError]:
    """What the schema cannot know: the slug is the draft's own, no article relates to itself."""
    problems = []
    if payload.slug is not None and payload.slug != article.slug:
        message = "A draft's slug cannot be changed through the API."
        problems.append(field_error("slug", message, "immutable"))
    for index, slug in enumerate(payload.related):
        if slug == article.slug:
            message = "An article cannot be related to itself."
            problems.append(field_error(f"related[{index}]", message, "self_reference"))
    return problems


def _related(
    slugs: list[str], *, user: AbstractBaseUser, article: Article | None = None
) -> tuple[list[int], list[FieldError]]:
    """The ids of the related articles in the order named, and a problem for each slug that names
    no article the user may relate to (one query, however many; the schema bounded the list).

    An article the user may not see gets the very message of one that does not exist. When
    editing `article`, what it already relates to stays allowed (an editor may have added an
    article its author cannot see, and the author's PUT sends back what GET showed); its own
    slug is left to _against_draft (an article cannot relate to itself).
    """
    own = article.slug if article is not None else None
    wanted = [slug for slug in slugs if slug != own]
    if not wanted:
        return [], []
    allowed = Q(pk__in=relatable_articles(user=user).values("pk"))
    if article is not None and article.related_ids:
        allowed |= Q(pk__in=article.related_ids)
    found = dict(Article.objects.filter(allowed, slug__in=wanted).values_list("slug", "pk"))
    ids, problems = [], []
    for index, slug in enumerate(slugs):
        if slug in found:
            ids.append(found[slug])
        elif slug != own:
            message = f"No article has the slug “{short(slug)}”."
            problems.append(field_error(f"related[{index}]", message, "unknown_article"))
    return ids, problems


@transaction.atomic
def _submit(*, article: Article, user: AbstractBaseUser, base_version: int | None) -> None:
    """Submit; with `base_version`, only if the draft is still at it (row locked meanwhile).

    The version check is here rather than in transition_apply, which takes no version; the
    article row is locked first, in the same order the services lock, so it cannot move between
    the check and the transition.
    """
    if base_version is not None:
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.version != base_version:
            raise EditConflict(article=current, base_version=base_version)
    transition_apply(article=article, user=user, action="submit")


def _reloaded(article: Article) -> Article:
    """The draft as stored now: after a write its state and version may have moved."""
    return Article.objects.select_related("workflow").get(pk=article.pk)


def _comment(comment: ReviewComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "version": comment.version,
        "audience": comment.audience,
        "quote": comment.quote,
        "body": comment.body,
        "author": comment.author.get_username(),
        "created_at": comment.created_at,
    }


def draft_document(article: Article) -> dict[str, Any]:
    """The draft as the API shows it; a fixed number of queries (related slugs, comment threads)."""
    slugs = (
        dict(Article.objects.filter(pk__in=article.related_ids).values_list("pk", "slug"))
        if article.related_ids
        else {}
    )
    links = {
        "self": reverse("api:draft", kwargs={"slug": article.slug}),
        "submit": reverse("api:draft_submit", kwargs={"slug": article.slug}),
    }
    if article.is_public:
        links["public"] = article.get_absolute_url()
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "texts": article.texts,
        "related": [slugs[pk] for pk in article.related_ids if pk in slugs],
        "sources": list(article.sources),
        "version": article.version,
        "state": article.workflow.state,
        "content_hash": article.content_hash,
        "open_comments": [
            {**_comment(thread), "replies": [_comment(reply) for reply in thread.replies.all()]}
            for thread in open_comment_threads(article=article)
        ],
        "links": links,
    }
