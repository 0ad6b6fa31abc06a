"""The content core's own caches follow every write, bulk deletes and the admin included.

Receivers rather than `save()` overrides: a queryset's `delete()` (the admin's "Delete selected")
sends post_delete for each row but never calls the model's `delete()`.

`public_content_changed` is for the layers above: any code that changes what public pages show
without saving a model (a verification that finds a forged sign-off, say) sends it; the public
site's page cache listens.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from articles.models import GLOSSARY_CACHE_KEY, Disclaimer, GlossaryTerm, disclaimer_cache_key

public_content_changed = Signal()


@receiver([post_save, post_delete], sender=GlossaryTerm, dispatch_uid="glossary-cache")
def glossary_changed(**kwargs: Any) -> None:
    # Renditions are keyed by the glossary's fingerprint: forget it, so pages pick up the change.
    transaction.on_commit(lambda: cache.delete(GLOSSARY_CACHE_KEY))


@receiver([post_save, post_delete], sender=Disclaimer, dispatch_uid="disclaimer-cache")
def disclaimer_changed(instance: Disclaimer, **kwargs: Any) -> None:
    # Public pages read disclaimers from the cache; drop the old text once this one is stored.
    key = disclaimer_cache_key(instance.audience)
    transaction.on_commit(lambda: cache.delete(key))
