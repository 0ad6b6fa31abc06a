"""Autosaves: the edit form's unsaved working state, kept on the server while someone writes.

An autosave is not content and not a version: it has no hash, no history row, no audit event, and
no workflow effect. It is the raw state of one person's form (every field as typed, valid or not),
so that a closed tab, a crash or a lost connection loses nothing; saving the form (a real version)
or discarding the autosave removes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Autosave(models.Model):
    """One person's unsaved form for one article, or for the new-article form (`article` null).

    `base_version` is the version the form was opened on (0 for a new article): when the article
    has moved on since, the autosave is offered, never silently put over the newer text.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    base_version = models.PositiveIntegerField(default=0)
    # Field name -> the value as typed: a string, or a list of strings (related, topics).
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "article"],
                condition=models.Q(article__isnull=False),
                name="autosave_one_per_user_and_article",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(article__isnull=True),
                name="autosave_one_new_article_per_user",
            ),
        ]
        indexes = [models.Index(fields=["saved_at"], name="autosave_saved_at")]

    def __str__(self) -> str:
        target = f"article {self.article_id}" if self.article_id else "a new article"
        return f"Autosave of {target} by {self.user_id} at {self.saved_at:%Y-%m-%d %H:%M}"
