"""Filing an article under topics: not content (no version, no review), but audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.roles import Role
from articles.models import Article, Topic
from reviews.selectors.roles import roles_for
from reviews.services.records import article_locked, audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def article_topics_set(
    *, article: Article, user: AbstractBaseUser, topics: Iterable[Topic]
) -> None:
    """File the article under topics. Not content: no version, no review; an audit event."""
    article, workflow = article_locked(article)
    if not roles_for(user=user, article=article, workflow=workflow) & {Role.AUTHOR, Role.EDITOR}:
        raise PermissionDenied("Only the article's authors and editors file it under topics.")
    before = set(article.topics.values_list("name", flat=True))
    article.topics.set(list(topics))
    after = set(article.topics.values_list("name", flat=True))
    if before != after:
        audit_append(
            article=article,
            actor=user,
            action="topics",
            from_state=workflow.state,
            to_state=workflow.state,
            note=f"Topics: {', '.join(sorted(after)) or 'none'}.",
        )
