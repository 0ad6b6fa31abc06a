"""Cached public pages follow every write that changes what they show.

One epoch (public.page_cache) names every cached page, list and count; these receivers move it
after the write commits, so no page is cached from data about to roll back. Receivers rather than
`save()` overrides: bulk deletes (the admin's "Delete selected") and m2m changes reach them too,
and the layers below need not know that a public site exists.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from articles.models import Article, CitationLink, Disclaimer, GlossaryTerm, SitePage, Topic
from articles.signals import public_content_changed
from public.page_cache import public_pages_changed
from public.search_index import search_entries_sync
from references.models import Reference
from reviews.models import ArticleWorkflow, AuditEvent, ReviewerProfile, SignOff


def _changed(**kwargs: Any) -> None:
    transaction.on_commit(public_pages_changed)


# Saved or deleted, each of these changes a public page. An article's own saves are drafts
# (readers see frozen versions), so only its deletion counts; publishing writes an audit event.
_SAVED_OR_DELETED = (
    Topic,
    Disclaimer,
    GlossaryTerm,
    SitePage,
    Reference,
    ReviewerProfile,
    ArticleWorkflow,
    SignOff,
    AuditEvent,
)
for _model in _SAVED_OR_DELETED:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"public-pages-save-{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"public-pages-delete-{_model.__name__}"
    )
for _model in (Article, CitationLink):
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"public-pages-delete-{_model.__name__}"
    )
for _through in (
    Article.topics.through,
    Article.authors.through,
    ReviewerProfile.conflicted_articles.through,
):
    m2m_changed.connect(_changed, sender=_through, dispatch_uid=f"public-pages-m2m-{_through}")


def _content_changed(**kwargs: Any) -> None:
    # The sender chose the moment (it is sent after the fact, outside any write of ours).
    public_pages_changed()


public_content_changed.connect(_content_changed, dispatch_uid="public-pages-content-changed")


# What the search entries are built from. Publishing, taking down and retiring save these fields
# by name (reviews.services.effects); a draft save never changes them, so it costs nothing here.
_LIVE_FIELDS = frozenset({"live_version", "published_at"})


def _live_saved(instance: Article, update_fields: Any = None, **kwargs: Any) -> None:
    # Inside the writer's transaction: the entries commit or roll back with the publication.
    if update_fields is not None and _LIVE_FIELDS & set(update_fields):
        search_entries_sync(instance)


post_save.connect(_live_saved, sender=Article, dispatch_uid="search-entries-live-saved")
