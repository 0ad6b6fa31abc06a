"""Review comments: threads on a passage of one audience's text, their replies and resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import Role
from articles.audiences import audience_keys
from articles.models import Article
from reviews.models import ArticleWorkflow, CommentResolution, ReviewComment
from reviews.selectors.roles import roles_for
from reviews.services.errors import WorkflowError
from reviews.services.records import article_locked

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _check_participant(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles:
        raise PermissionDenied(
            "Only the article's authors, its reviewers and editors comment on it."
        )
    return roles


@transaction.atomic
def comment_create(
    *, article: Article, user: AbstractBaseUser, body: str, audience: str = "", quote: str = ""
) -> ReviewComment:
    """Comment on a passage of one audience's text (or on the whole article)."""
    article, workflow = article_locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    body, quote = body.strip(), quote.strip()
    errors = {}
    if not body:
        errors["body"] = "Write the comment."
    if audience and audience not in audience_keys():
        errors["audience"] = f"“{audience}” is not an audience."
    elif quote:
        haystack = (
            " ".join(article.texts.get(audience, "").split())
            if audience
            else " ".join(" ".join(t.split()) for t in article.texts.values())
        )
        if " ".join(quote.split()) not in haystack:
            where = f"the {audience} text" if audience else "the article"
            errors["quote"] = f"The quoted passage is not in {where} (version {article.version})."
    if errors:
        raise ValidationError(errors)
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        version=article.version,
        audience=audience,
        quote=quote,
        body=body,
        author=user,
    )


@transaction.atomic
def comment_reply(
    *, article: Article, user: AbstractBaseUser, comment_id: int, body: str
) -> ReviewComment:
    article, workflow = article_locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    root = ReviewComment.objects.filter(pk=comment_id, article=article, parent__isnull=True).first()
    if root is None:
        raise WorkflowError(
            "reply", ["There is no such comment on this article."], code="unknown_comment"
        )
    if not body.strip():
        raise ValidationError({"body": "Write the reply."})
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        version=article.version,
        audience=root.audience,
        body=body.strip(),
        author=user,
        parent=root,
    )


@transaction.atomic
def comment_resolve(
    *, article: Article, user: AbstractBaseUser, comment_id: int, note: str = ""
) -> CommentResolution:
    """Close a thread. Its writer or an editor may; an author cannot wave a reviewer's point away."""
    article, workflow = article_locked(article)
    roles = _check_participant(user=user, article=article, workflow=workflow)
    root = ReviewComment.objects.filter(pk=comment_id, article=article, parent__isnull=True).first()
    if root is None:
        raise WorkflowError(
            "resolve", ["There is no such comment on this article."], code="unknown_comment"
        )
    if root.author_id != user.pk and Role.EDITOR not in roles:
        raise PermissionDenied("Only the comment's writer or an editor resolves it.")
    if CommentResolution.objects.filter(comment=root).exists():
        raise WorkflowError("resolve", ["This comment is already resolved."], code="illegal_state")
    return CommentResolution.objects.create(comment=root, resolved_by=user, note=note.strip())
