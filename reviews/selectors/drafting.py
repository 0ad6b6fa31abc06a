"""Reads for the edit form: the autosave to offer back, and the state of each audience's tab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q

from articles import readability
from articles.audiences import audiences
from articles.forms import text_field_name
from articles.models import Article
from reviews.checks import MIN_WORDS_TO_SCORE
from reviews.models import Autosave
from reviews.selectors.roles import relatable_articles

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class AutosaveOffer:
    """The user's autosave of the form they open, and whether it can go into the form as is.

    `stale`: the article was saved (by anyone) since the autosave's version, so putting it into
    the form would hide the newer text: it is offered instead, never restored silently.
    """

    autosave: Autosave
    current_version: int

    @property
    def stale(self) -> bool:
        return self.autosave.base_version != self.current_version

    def initial(self) -> dict[str, Any]:
        """The form's initial values: what was typed, on top of the version it was typed on."""
        return {**self.autosave.data, "base_version": self.autosave.base_version or None}


def autosave_offer(*, user: AbstractBaseUser, article: Article | None) -> AutosaveOffer | None:
    """The user's autosave for `article` (None: their new-article form), if any (one query)."""
    autosave = Autosave.objects.filter(user=user, article=article).first()
    if autosave is None:
        return None
    return AutosaveOffer(autosave=autosave, current_version=article.version if article else 0)


@dataclass(frozen=True)
class TabState:
    """What an audience's tab says: text or not, required or not, and its reading level."""

    key: str
    label: str
    filled: bool
    required: bool
    grade: float | None  # Flesch-Kincaid grade, None when too short to judge
    target: float | None

    @property
    def over_level(self) -> bool:
        return self.grade is not None and self.target is not None and self.grade > self.target

    @property
    def summary(self) -> str:
        """The tab's state in words (never colour alone): "required, empty", "filled, ..."."""
        parts = ["required" if self.required else "optional", "filled" if self.filled else "empty"]
        if self.over_level:
            parts.append(f"over reading level ({self.grade:g} > {self.target:g})")
        return ", ".join(parts)


def tab_state(key: str, text: str) -> TabState:
    """The state of one audience's text as typed (readability scored here, textstat offline).

    A text under MIN_WORDS_TO_SCORE words gets no grade, as the readability check judges it.
    """
    audience = audiences()[key]
    filled = bool((text or "").strip())
    grade = None
    if filled:
        score = readability.score(text)
        grade = score.fk_grade if score.words >= MIN_WORDS_TO_SCORE else None
    return TabState(
        key=key,
        label=audience.label,
        filled=filled,
        required=key in settings.EDITORIAL_REQUIRED_AUDIENCES,
        grade=grade,
        target=audience.reading_grade,
    )


def tab_states(*, form: Any) -> list[TabState]:
    """Each configured audience's tab state for the texts now in `form` (bound or not)."""
    return [tab_state(key, str(form[text_field_name(key)].value() or "")) for key in audiences()]


MIN_SEARCH_CHARS = 2
MAX_SEARCH_CHARS = 100
SEARCH_RESULTS = 20


def related_search(
    *, user: AbstractBaseUser, query: str, exclude_pk: int | None = None
) -> list[dict[str, Any]]:
    """Up to SEARCH_RESULTS articles `user` may name as related whose title or address contains
    `query`, by title (one query). Scoped by `relatable_articles`: another person's draft is
    never found, so the search cannot reveal its title."""
    found = relatable_articles(user=user).filter(
        Q(title__icontains=query) | Q(slug__icontains=query)
    )
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    rows = found.order_by("title", "pk").values("pk", "title", "slug", "live_version_id")[
        :SEARCH_RESULTS
    ]
    return [
        {
            "id": row["pk"],
            "title": row["title"],
            "slug": row["slug"],
            "published": row["live_version_id"] is not None,
        }
        for row in rows
    ]
