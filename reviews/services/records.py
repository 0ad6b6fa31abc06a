"""What every editorial write shares: the row locks, taken in one order, and the audit append.

Each service is atomic and locks the article row first (then its workflow row), always in that
order, so two requests on one article serialise on PostgreSQL instead of racing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery

from articles.models import Article
from reviews.models import ArticleWorkflow, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def article_locked(article: Article) -> tuple[Article, ArticleWorkflow]:
    """The article and its workflow, re-read under their row locks (article first).

    The article carries `live_version_number` (None when nothing is live), read in the same
    query: a second publication of the live version is refused on what the lock saw, for free.
    """
    live_number = Article.history.filter(history_id=OuterRef("live_version_id")).values("version")
    locked = (
        Article.objects.select_for_update()
        .annotate(live_version_number=Subquery(live_number[:1]))
        .get(pk=article.pk)
    )
    workflow = ArticleWorkflow.objects.select_for_update().get(article=locked)
    return locked, workflow


def audit_append(
    *,
    article: Article,
    actor: AbstractBaseUser | None,
    action: str,
    from_state: str,
    to_state: str,
    note: str = "",
    previous: str | None = None,
) -> AuditEvent:
    """Append an audit event; the caller holds the article's row lock (and may know the chain's
    head, read under that lock)."""
    return AuditEvent.append(
        previous=previous,
        article=article,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        version=article.version,
        content_hash=article.content_hash,
        note=note,
    )
