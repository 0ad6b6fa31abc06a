"""Content writes: drafts are written here because every edit is also a workflow event.

A change of text is the `edit` or `revert` row of the workflow table: who may make it in which
state is checked there, and what it does to the workflow (approvals voided, approved content
back under review) is applied by `reviews.services.transitions.content_change_record`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.models import Article, ChangeWeight
from reviews import risk
from reviews.models import ArticleWorkflow, State
from reviews.selectors.signing import valid_approvals
from reviews.services.errors import EditConflict, WorkflowError
from reviews.services.records import article_locked, audit_append
from reviews.services.transitions import authorize, content_change_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _apply_content(article: Article, fields: Mapping[str, Any]) -> None:
    allowed = {"title", "summary", "texts", "related_ids", "sources"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown content field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(article, name, value)


@transaction.atomic
def draft_create(
    *,
    user: AbstractBaseUser,
    slug: str,
    title: str,
    summary: str = "",
    texts: Mapping[str, str] | None = None,
    related_ids: Iterable[int] = (),
    sources: Iterable[str] = (),
    change_reason: str = "First version.",
) -> Article:
    """Create an article as a draft, with the user as its author.

    How many approvals it needs is computed from its text (reviews.risk), never chosen here.
    """
    groups = user_group_names(user)
    if not groups & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.EDITOR]}:
        raise PermissionDenied("Only authors and editors create articles.")
    article = Article(
        slug=slug,
        title=title,
        summary=summary,
        texts=dict(texts or {}),
        related_ids=list(related_ids),
        sources=list(sources),
    )
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    article.authors.add(user)
    workflow = ArticleWorkflow(article=article)
    risk.assess(workflow=workflow, texts=article.texts)
    workflow.save()
    audit_append(
        article=article,
        actor=user,
        action="create",
        from_state=State.DRAFT,
        to_state=State.DRAFT,
        note=change_reason,
    )
    return article


@transaction.atomic
def draft_update(
    *,
    article: Article,
    user: AbstractBaseUser,
    base_version: int,
    fields: Mapping[str, Any],
    change_reason: str,
    change_weight: str = ChangeWeight.SUBSTANTIVE,
) -> Article:
    """Save an edit to the working draft.

    Refused with EditConflict when `base_version` is not the current version. A content change
    after a sign-off voids it: an approved article goes back under review and the audit trail says
    why. A save that changes nothing makes no version and voids nothing.
    """
    article, workflow = article_locked(article)
    authorize(user=user, article=article, workflow=workflow, action="edit")
    if article.version != base_version:
        raise EditConflict(article=article, base_version=base_version)
    return _save_content(
        action="edit",
        article=article,
        workflow=workflow,
        user=user,
        fields=fields,
        change_reason=change_reason,
        change_weight=change_weight,
    )


@transaction.atomic
def version_revert(
    *, article: Article, user: AbstractBaseUser, to_version: int, base_version: int
) -> Article:
    """Restore the content of an earlier version as a new version, which must be reviewed again."""
    article, workflow = article_locked(article)
    authorize(user=user, article=article, workflow=workflow, action="revert")
    if article.version != base_version:
        raise EditConflict(article=article, base_version=base_version)
    snapshot = article.history.filter(version=to_version).first()
    if snapshot is None:
        raise WorkflowError(
            "revert", [f"There is no version {to_version}."], code="unknown_version"
        )
    fields = {
        name: getattr(snapshot, name)
        for name in ("title", "summary", "texts", "related_ids", "sources")
    }
    try:
        return _save_content(
            action="revert",
            article=article,
            workflow=workflow,
            user=user,
            fields=fields,
            change_reason=f"Restored version {to_version}.",
            change_weight=ChangeWeight.SUBSTANTIVE,
        )
    except ValidationError as error:
        # An old version can be invalid today (a source it lists has left the library since):
        # a refusal the user can act on, not a crash.
        raise WorkflowError(
            "revert",
            [f"Version {to_version} cannot be restored as it was: {' '.join(error.messages)}"],
            code="invalid_content",
        ) from error


def _save_content(
    *,
    action: str,
    article: Article,
    workflow: ArticleWorkflow,
    user: AbstractBaseUser,
    fields: Mapping[str, Any],
    change_reason: str,
    change_weight: str,
) -> Article:
    if not change_reason.strip():
        raise ValidationError({"change_reason": "Say why you made this change."})
    if change_weight not in ChangeWeight.values:
        raise ValidationError(
            {"change_weight": f"Choose one of: {', '.join(ChangeWeight.values)}."}
        )
    previous_hash = article.content_hash
    voided = valid_approvals(article=article, workflow=workflow)
    _apply_content(article, fields)
    article.change_weight = change_weight
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    if article.content_hash == previous_hash:
        return article
    # Each version is judged on its own text: doses added raise the quorum, doses removed lower it.
    changed = risk.assess(workflow=workflow, texts=article.texts)
    if changed:
        workflow.save(update_fields=changed)
    # What the change does to the workflow (approvals voided, approved content back under
    # review) is declared by the content row of the table and applied by the transition service.
    content_change_record(
        article=article,
        workflow=workflow,
        user=user,
        action=action,
        voided=voided,
        change_reason=change_reason,
        note=f"Approval voided by change in version {article.version} "
        f"({ChangeWeight(change_weight).label.lower()}): {change_reason}",
    )
    return article
