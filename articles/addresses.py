"""The public address of an article, reversed once per slug.

Django's `reverse()` walks the URL patterns on every call (about 30 µs here); an API document or
an article page names a dozen or more articles (itself, its related questions), so it was a
sixth of the read API's time. The address of a slug cannot change while the process runs except
with the URL configuration or the script prefix, which are part of the key.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def article_url(slug: str) -> str:
    """`reverse("public:detail", kwargs={"slug": slug})`, kept."""
    return _article_url(get_script_prefix(), get_urlconf(settings.ROOT_URLCONF), slug)


@lru_cache(maxsize=4096)
def _article_url(prefix: str, urlconf: str, slug: str) -> str:
    return reverse("public:detail", kwargs={"slug": slug})
