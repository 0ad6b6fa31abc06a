"""The public page of one published article: its rendition, review status, related articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache, caches
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from articles.audiences import Audience, audiences
from articles.models import (
    Article,
    Disclaimer,
    HistoricalArticle,
    Rendition,
    disclaimer_cache_key,
)
from articles.services import rendition_get_or_create
from public.page_cache import epoch_get_many, public_pages_epoch
from public.selectors.compiled import OneRow
from public.selectors.links import (
    RELATED_CACHE_SECONDS,
    RelatedLink,
    article_links,
    article_links_key,
)
from public.selectors.review import (
    LiveReview,
    TrackerStep,
    live_review,
    tracker_steps,
    verified_approvals,
)
from references.models import Reference
from reviews.models import ArticleWorkflow, ReviewerProfile, SignOff, State

DISCLAIMER_CACHE_SECONDS = 60 * 60


def disclaimer_text(*, audience: str, prefetched: dict[str, Any] | None = None) -> str:
    """The disclaimer for an audience, from the cache when possible (editors change it rarely).
    `prefetched` holds what one `get_many` already read for the page (see `article_page`)."""
    key = disclaimer_cache_key(audience)
    text = prefetched.get(key) if prefetched is not None else cache.get(key)
    if text is None:
        text = (
            Disclaimer.objects.filter(audience=audience).values_list("text", flat=True).first()
            or ""
        )
        cache.set(key, text, DISCLAIMER_CACHE_SECONDS)
    return text


@dataclass(frozen=True)
class SourceFlag:
    """What became of a source since the version was rendered: retracted, or superseded."""

    citekey: str
    retracted_on: date | None
    notice_url: str
    superseded_by: str

    @property
    def label(self) -> str:
        if self.retracted_on:
            return f"Retracted on {self.retracted_on.day} {self.retracted_on:%B %Y}"
        return f"Superseded by {self.superseded_by}" if self.superseded_by else "Superseded"


SOURCE_FLAGS_CACHE_SECONDS = 60 * 60


def source_flags_key(*, content_hash: str, audience: str, epoch: int) -> str:
    return f"source-flags:{content_hash}:{audience}:{epoch}"


def source_flags(
    *, rendition: Rendition, epoch: int | None = None, prefetched: dict[str, Any] | None = None
) -> dict[int, SourceFlag]:
    """The rendition's sources (cited and further reading) now retracted or superseded, by id.

    Read live, not from the frozen rendition: a retraction must show at once. One query, cached
    under the public-pages epoch, which any reference's save moves.
    """
    ids = sorted(
        {
            entry["reference_id"]
            for entry in [*rendition.citations, *rendition.further_reading]
            if entry.get("reference_id")
        }
    )
    if not ids:
        return {}
    key = source_flags_key(
        content_hash=rendition.content_hash,
        audience=rendition.audience,
        epoch=public_pages_epoch() if epoch is None else epoch,
    )
    flags = prefetched.get(key) if prefetched is not None else cache.get(key)
    if flags is None:
        flags = {
            ref.pk: SourceFlag(
                citekey=ref.citekey,
                retracted_on=ref.retracted_on,
                notice_url=ref.retraction_notice_url,
                superseded_by=str(ref.superseded_by) if ref.superseded_by_id else "",
            )
            for ref in Reference.objects.filter(pk__in=ids)
            .filter(Q(retracted_on__isnull=False) | Q(superseded_by__isnull=False))
            .select_related("superseded_by")
        }
        cache.set(key, flags, SOURCE_FLAGS_CACHE_SECONDS)
    return flags


@dataclass(frozen=True)
class ArticlePage:
    """Everything the public article page shows, read from the live (frozen) version."""

    article: Article
    version: HistoricalArticle  # the frozen row readers see
    audience: Audience
    rendition: Rendition
    status: State
    tracker: list[TrackerStep]
    approvals: list[SignOff]
    reviewers: dict[int, ReviewerProfile]
    authors: list[str]  # display names
    related: list[RelatedLink]
    disclaimer: str
    workflow: ArticleWorkflow | None
    review: LiveReview
    topics: list[tuple[str, str]]
    source_flags: dict[int, SourceFlag]
    # What the topics, related questions and authors depend on (see `article_links_key`).
    links_key: str

    @property
    def retracted_sources(self) -> bool:
        return any(flag.retracted_on for flag in self.source_flags.values())

    @property
    def approved(self) -> bool:
        return self.status == State.APPROVED

    @property
    def pending_review(self) -> bool:
        return not self.approved

    @property
    def last_updated(self) -> datetime:
        return self.version.updated_at

    @property
    def signed_on(self) -> datetime | None:
        """When the board's approval of the version shown was completed."""
        return max((s.signed_at for s in self.approvals), default=None)

    @property
    def last_reviewed(self) -> date | None:
        """The last full medical review: a later re-approval of minor fixes does not move it."""
        return self.review.last_reviewed

    @property
    def next_review_due(self) -> date | None:
        return self.workflow.next_review_due if self.workflow and self.approved else None

    @property
    def reference_list(self) -> list[dict[str, Any]]:
        """The bibliography in the text's numbering (by first citation), each entry with its group.

        One list, not a list per group: grouping would make the numbers read 4, 5, 1, 2, 3.
        The group ("Guideline" or "Research") is a label on the entry instead.
        """
        return [
            {**c, "group": "Guideline" if c["kind"] == "guideline" else "Research"}
            for c in sorted(self.rendition.citations, key=lambda c: c["number"])
        ]

    @property
    def text_fragment_key(self) -> str:
        """What the rendered text and bibliography depend on: the rendition (immutable under
        its pipeline, content hash and audience), the slug (download links) and the flags on
        its sources (read live). The template keeps that HTML under this key."""
        r = self.rendition
        flags = sorted(
            (pk, f.label, f.notice_url, bool(f.retracted_on)) for pk, f in self.source_flags.items()
        )
        return f"{r.pipeline}:{r.content_hash}:{r.audience}:{self.article.slug}:{flags!r}"

    @property
    def review_overdue(self) -> bool:
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())

    @property
    def fallback_audience(self) -> Audience | None:
        if self.rendition.is_fallback:
            return audiences().get(self.rendition.source_audience)
        return None


# What the page reads of the article, its live version and its workflow: not the working copy
# (drafts are never shown here) nor the live version's texts (the page shows its rendition),
# tens of kilobytes of JSON a request. A rendition rendered for the first time loads the texts
# then (one more query, once).
PAGE_COLUMNS = (
    "slug",
    "live_version",
    "live_pending_review",
    "live_disputed",
    "published_at",
    "live_rendering",
    "live_version__title",
    "live_version__summary",
    "live_version__version",
    "live_version__content_hash",
    "live_version__updated_at",
    "live_version__related_ids",
    "live_version__citation_keys",
    "live_version__sources",
)
WORKFLOW_COLUMNS = ("workflow__state", "workflow__last_reviewed_on", "workflow__next_review_due")

# Compiled once per process (public/selectors/compiled.py: the ORM's compilation cost more than
# PostgreSQL's answer). Slugs are unique: no ORDER BY is needed for the one row.
_ARTICLE_PAGE_ROW = OneRow(
    Article,
    lambda slug: (
        Article.objects.select_related("live_version", "workflow")
        .only(*PAGE_COLUMNS, *WORKFLOW_COLUMNS)
        .filter(slug=slug, live_version__isnull=False)
        .order_by()
    ),
)
_PUBLISHED_ROW = OneRow(
    Article,
    lambda slug: (
        Article.objects.select_related("live_version")
        .only(*PAGE_COLUMNS)
        .filter(slug=slug, live_version__isnull=False)
        .order_by()
    ),
)


def article_page(*, slug: str, audience: Audience) -> ArticlePage:
    """The public page of a published article; Http404 when it has no live version.

    One query: the article with its live version and workflow, read live (whether the version
    is approved or pending review, disputed, due for review is never older than the request).
    From the cache, with the epoch in one round trip (`epoch_get_many`): the verified approvals of the version, related articles,
    topics and authors (under the public-pages epoch, which every change to them moves), the
    disclaimer and the flags on its sources; then the rendition, keyed by the content hash.
    """
    article = _ARTICLE_PAGE_ROW.get(slug)
    if article is None:
        raise Http404("No published article with this address.")
    version = article.live_version

    def keys(epoch: int) -> list[str]:
        return [
            article_links_key(article=article, epoch=epoch),
            f"approvals:{article.pk}:{version.version}:{version.content_hash}:{epoch}",
            disclaimer_cache_key(audience.key),
            source_flags_key(content_hash=version.content_hash, audience=audience.key, epoch=epoch),
        ]

    # The epoch and what it and the content hash name, usually in one round trip.
    epoch, prefetched = epoch_get_many(keys)
    links_key, approvals_key = keys(epoch)[:2]
    # Sign-offs are append-only (the database refuses edits and deletes) and each new one moves
    # the epoch, so the verified approvals of this version are kept under it; the article row,
    # which says whether the live version is approved or pending review, is read every time.
    approvals = prefetched.get(approvals_key)
    if approvals is None:
        approvals = verified_approvals([article])[article.pk]
        cache.set(approvals_key, approvals, RELATED_CACHE_SECONDS)
    review = live_review(article, approvals)
    links = article_links(article=article, epoch=epoch, prefetched=prefetched)
    rendition = process_rendition(article=article, audience=audience.key, epoch=epoch)
    return ArticlePage(
        article=article,
        version=version,
        audience=audience,
        rendition=rendition,
        status=review.status,
        tracker=tracker_steps(review.status),
        approvals=review.approvals,
        reviewers={
            s.reviewer_id: getattr(s.reviewer, "reviewer_profile", None) for s in review.approvals
        },
        authors=links.authors,
        related=links.related,
        disclaimer=disclaimer_text(audience=audience.key, prefetched=prefetched),
        workflow=review.workflow,
        review=review,
        topics=links.topics,
        source_flags=source_flags(rendition=rendition, epoch=epoch, prefetched=prefetched),
        links_key=links_key,
    )


def process_rendition(*, article: Article, audience: str, epoch: int) -> Rendition:
    """The live version's rendition for an audience, kept in this process too (the fragments
    cache): immutable under its content hash and pipeline, and the pipeline of a rendition not
    pinned at publication (the glossary's fingerprint) changes only with the epoch. Saves the
    shared cache's round trips (the rendition, the glossary) on every request."""
    version = article.live_version
    key = f"rendition:{version.content_hash}:{audience}:{article.live_rendering}:{epoch}"
    rendition = caches["fragments"].get(key)
    if rendition is None:
        rendition = rendition_get_or_create(
            version=version, audience=audience, pinned=article.live_rendering
        )
        caches["fragments"].set(key, rendition)
    return rendition


def published_article(*, slug: str) -> Article:
    """The article with its live version; Http404 when it is not published."""
    article = _PUBLISHED_ROW.get(slug)
    if article is None:
        raise Http404("No published article with this address.")
    return article
