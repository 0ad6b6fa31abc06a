"""Articles and their versions: texts, citations, related articles and the history rows.

Each version's texts are normalised and hashed by articles.content, exactly as the app does, so
the generated history verifies; a version after the first rewords one section (one edit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from articles import content
from articles.content import collect_citation_keys
from articles.models import Article, HistoricalArticle
from bench.generation.accounts import Staff
from bench.generation.plans import Plan
from bench.generation.references import Library
from bench.generation.shared import (
    AUDIENCES,
    CITATIONS_PER_ARTICLE,
    RELATED_PER_ARTICLE,
    whole_ms,
)
from bench.generation.text import (
    HEADINGS,
    SECTIONS,
    THINGS,
    TextBank,
    article_texts,
    fill,
    join_texts,
)


@dataclass
class Draft:
    """One article before its editorial history: who wrote it, what it cites, every version."""

    plan: Plan
    title: str
    summary: str
    refs: list[int]
    related: list[int]
    citation_keys: list[str]
    author: Any
    editor: Any
    created: datetime
    versions: list[Any]  # HistoricalArticle rows, version 1 first

    @property
    def current(self) -> Any:
        """The latest version (the draft the article row holds)."""
        return self.versions[-1]

    @property
    def live(self) -> Any | None:
        """The version the public sees: the last published one, if any."""
        published = self.plan.published_versions
        return self.versions[published[-1] - 1] if published else None


def draft_article(
    plan: Plan,
    rng: random.Random,
    *,
    bank: TextBank,
    library: Library,
    staff: Staff,
    published_pks: list[int],
    now: datetime,
    history_pk: Any,
) -> Draft:
    """Texts, citations and related articles, then every version, spread over the article's life."""
    refs = rng.sample(library.reference_ids, CITATIONS_PER_ARTICLE)
    blocks = article_texts(bank, rng, condition=plan.condition, markers=library.markers(refs))
    related = sorted(
        rng.sample(
            [pk for pk in published_pks if pk != plan.pk],
            min(RELATED_PER_ARTICLE, len(published_pks) - (plan.pk in published_pks)),
        )
    )
    title = f"What should I know about {plan.condition}? ({plan.index + 1})"
    summary = (
        f"A plain guide to {plan.condition}: what it is, how it is found, how it is treated "
        f"and when to get help."
    )
    author = staff.authors[plan.index % len(staff.authors)]
    editor = staff.editors[plan.index % len(staff.editors)]
    age = timedelta(days=30 + rng.randrange(1000), seconds=rng.randrange(86400))
    created = whole_ms(now - age)
    # Versions spread over the article's life; workflow events a few hours after them.
    step = (age - timedelta(days=2)) / (plan.versions + 1)
    when = created
    citation_keys: list[str] | None = None
    version_rows = []
    for v in range(1, plan.versions + 1):
        if v > 1:
            audience = AUDIENCES[rng.randrange(len(AUDIENCES))]
            s = rng.randrange(SECTIONS)
            # Same heading and markers, the section's last paragraph reworded: one edit.
            parts = blocks[audience][s].split("\n\n")
            parts[-1] = fill(
                rng.choice(bank.pool(audience)),
                cond=plan.condition,
                thing=rng.choice(THINGS),
            )
            blocks[audience][s] = "\n\n".join(parts)
            when = whole_ms(when + step * (0.5 + rng.random()))
        texts = content.normalise_texts(join_texts(blocks))
        if citation_keys is None:
            citation_keys = collect_citation_keys(texts)
        hsh = content.content_hash(
            title=title,
            summary=summary,
            texts=texts,
            citation_keys=citation_keys,
            related_ids=related,
        )
        weight = "minor" if v > 1 and rng.random() < 0.4 else "substantive"
        version_rows.append(
            HistoricalArticle(
                history_id=next(history_pk),
                id=plan.pk,
                slug=plan.slug,
                title=title,
                summary=summary,
                texts=texts,
                related_ids=related,
                citation_keys=citation_keys,
                version=v,
                content_hash=hsh,
                change_weight=weight,
                created_at=created,
                updated_at=when,
                history_change_reason="First version."
                if v == 1
                else f"Revised the section on {HEADINGS[rng.randrange(SECTIONS)].lower()}.",
                history_date=when,
                history_type="+" if v == 1 else "~",
                history_user_id=(author if v == 1 or rng.random() < 0.7 else editor).pk,
            )
        )
    assert citation_keys is not None  # every plan has at least one version
    return Draft(
        plan=plan,
        title=title,
        summary=summary,
        refs=refs,
        related=related,
        citation_keys=citation_keys,
        author=author,
        editor=editor,
        created=created,
        versions=version_rows,
    )


def article_rows(
    draft: Draft, *, published_at: datetime | None, library: Library
) -> tuple[Any, list[Any], list[Any]]:
    """The article row (holding its latest version), its author link and its topic links."""
    plan, current, live = draft.plan, draft.current, draft.live
    article = Article(
        pk=plan.pk,
        slug=plan.slug,
        title=draft.title,
        summary=draft.summary,
        texts=current.texts,
        related_ids=draft.related,
        citation_keys=draft.citation_keys,
        version=current.version,
        content_hash=current.content_hash,
        change_weight=current.change_weight,
        created_at=draft.created,
        updated_at=current.updated_at,
        live_version_id=live.history_id if live is not None else None,
        live_pending_review=plan.category == "pending",
        published_at=published_at,
    )
    authors = [Article.authors.through(article_id=plan.pk, user_id=draft.author.pk)]
    topic_ids = {
        library.topics[plan.condition],
        library.extra_topics[(plan.index * 7 + 3) % len(library.extra_topics)],
    }
    topics = [Article.topics.through(article_id=plan.pk, topic_id=t) for t in sorted(topic_ids)]
    return article, authors, topics
