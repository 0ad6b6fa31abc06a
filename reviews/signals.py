"""Cached dashboard counts follow every write that changes one (see reviews.workspace_epoch).

Receivers rather than `save()` overrides, so bulk deletes and m2m changes reach them too. Every
workflow transition writes an audit event in its transaction, so a step that changes assignments
in bulk (a due date moved with `update()`) still moves the epoch.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from articles.models import Article
from reviews.models import ArticleWorkflow, Assignment, AuditEvent, ReviewerProfile, SignOff
from reviews.workspace_epoch import workspace_changed


def _changed(**kwargs: Any) -> None:
    transaction.on_commit(workspace_changed)


# A content save changes the hash a reviewer must sign; a reviewer's profile names them in the
# kept late-review and workload pages; the others are the workflow itself.
for _model in (Article, ArticleWorkflow, Assignment, SignOff, AuditEvent, ReviewerProfile):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"workspace-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"workspace-delete-{_model.__name__}")
m2m_changed.connect(
    _changed, sender=Article.authors.through, dispatch_uid="workspace-m2m-article-authors"
)


def _user_saved(update_fields: Any = None, **kwargs: Any) -> None:
    """A user's name is shown in the kept sections (authors, reviewers without a profile); a
    sign-in only stamps `last_login`, which no dashboard shows."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    _changed()


post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="workspace-save-user")
