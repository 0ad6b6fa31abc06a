"""An article's address from its title: Django's slugify, made unique with -2, -3, ...

Addresses differing only in case are one address (the database's case-insensitive constraint), so
uniqueness is checked ignoring case. Candidates are checked a batch at a time: one query finds a
free address however many articles share the title.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.text import slugify

from articles.models import Article

SLUG_MAX_LENGTH = Article._meta.get_field("slug").max_length
_BATCH = 50
_MAX_BATCHES = 20  # 1,000 articles with the same title: past that, ask for an address


def slug_from_title(title: str) -> str:
    """The address a title gives ("What is HPP?" -> "what-is-hpp"); "" when it has no letters."""
    return slugify(title or "")[:SLUG_MAX_LENGTH].strip("-_")


def _candidate(base: str, n: int) -> str:
    if n == 1:
        return base
    suffix = f"-{n}"
    return base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-_") + suffix


def slug_taken(slug: str) -> bool:
    return Article.objects.filter(slug__iexact=slug).exists()


def unique_slug(base: str) -> str:
    """`base`, or the first of `base-2`, `base-3`... that no article has (ignoring case)."""
    base = base.lower()
    for batch in range(_MAX_BATCHES):
        candidates = [
            _candidate(base, n) for n in range(batch * _BATCH + 1, (batch + 1) * _BATCH + 1)
        ]
        taken = set(
            Article.objects.annotate(lowered=Lower("slug"))
            .filter(lowered__in=candidates)
            .values_list("lowered", flat=True)
        )
        for candidate in candidates:
            if candidate not in taken:
                return candidate
    raise ValidationError(
        "Too many articles already have an address made from this title; type one yourself.",
        code="slug_exhausted",
    )
