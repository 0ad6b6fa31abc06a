"""The public page of one published article: its rendition, review status, related articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from articles.audiences import Audience, audiences
from articles.models import (
    Article,
    CitationLink,
    Disclaimer,
    HistoricalArticle,
    Rendition,
    disclaimer_cache_key,
)
from articles.services import rendition_get_or_create
from public.page_cache import public_pages_epoch
from public.selectors.review import LiveReview, TrackerStep, live_reviews, tracker_steps
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


def article_page(*, slug: str, audience: Audience) -> ArticlePage:
    """The public page of a published article; Http404 when it has no live version.

    Two queries: the article with its live version and workflow, and the sign-offs of that
    version (both read live: the review line is never older than the request). Related
    articles, topics and authors come from one cache entry under the public-pages epoch, the
    rendition from the cache keyed by the content hash.
    """
    article = (
        Article.objects.select_related("live_version", "workflow")
        .only(*PAGE_COLUMNS, *WORKFLOW_COLUMNS)
        .filter(slug=slug, live_version__isnull=False)
        .first()
    )
    if article is None:
        raise Http404("No published article with this address.")
    version = article.live_version
    review = live_reviews([article])[article.pk]
    epoch = public_pages_epoch()
    links_key = article_links_key(article=article, epoch=epoch)
    # What the epoch and the content hash name, read from the cache in one round trip.
    prefetched = cache.get_many(
        [
            links_key,
            disclaimer_cache_key(audience.key),
            source_flags_key(content_hash=version.content_hash, audience=audience.key, epoch=epoch),
        ]
    )
    links = article_links(article=article, epoch=epoch, prefetched=prefetched)
    rendition = rendition_get_or_create(
        version=version, audience=audience.key, pinned=article.live_rendering
    )
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


@dataclass(frozen=True)
class RelatedLink:
    """A related question as the page links it: the live title, pending review or not."""

    slug: str
    title: str
    pending_review: bool

    def get_absolute_url(self) -> str:
        return reverse("public:detail", kwargs={"slug": self.slug})


@dataclass(frozen=True)
class ArticleLinks:
    """What the page says about an article besides its text: related questions, topics and
    the authors' names. Each changes only with an event that moves the public-pages epoch
    (a publication, a topic or author change)."""

    related: list[RelatedLink]
    topics: list[tuple[str, str]]
    authors: list[str]


def article_links_key(*, article: Article, epoch: int) -> str:
    return f"article-links:{article.pk}:{article.live_version_id}:{epoch}"


def article_links(
    *, article: Article, epoch: int, prefetched: dict[str, Any] | None = None
) -> ArticleLinks:
    """The article's related questions, topics and authors: one cache entry per live version
    and epoch, else four small queries (two of them cached on their own)."""
    key = article_links_key(article=article, epoch=epoch)
    links = prefetched.get(key) if prefetched is not None else cache.get(key)
    if links is not None:
        return links
    chosen = list(article.live_version.related_ids or [])
    automatic = automatic_related_ids(article=article, epoch=epoch)
    related_ids = chosen + [pk for pk in automatic if pk not in chosen]
    related_ids = related_ids[: len(chosen) + AUTOMATIC_RELATED]
    related = (
        [
            RelatedLink(
                slug=a.slug, title=a.live_version.title, pending_review=a.live_pending_review
            )
            for a in sorted(
                Article.objects.filter(pk__in=related_ids, live_version__isnull=False)
                .select_related("live_version")
                .only("slug", "live_version__title", "live_pending_review"),
                key=lambda a: related_ids.index(a.pk),
            )
        ]
        if related_ids
        else []
    )
    links = ArticleLinks(
        related=related,
        topics=article_topics(article=article, epoch=epoch),
        authors=[
            author.get_full_name() or author.get_username()
            for author in article.authors.only("username", "first_name", "last_name")
        ],
    )
    # As long as the related and topic lists: a user's own name change moves no epoch.
    cache.set(key, links, RELATED_CACHE_SECONDS)
    return links


def published_article(*, slug: str) -> Article:
    """The article with its live version; Http404 when it is not published."""
    article = (
        Article.objects.select_related("live_version")
        .only(*PAGE_COLUMNS)
        .filter(slug=slug, live_version__isnull=False)
        .first()
    )
    if article is None:
        raise Http404("No published article with this address.")
    return article


AUTOMATIC_RELATED = 5
RELATED_CACHE_SECONDS = 60 * 60


def automatic_related_ids(
    *, article: Article, limit: int = AUTOMATIC_RELATED * 2, epoch: int | None = None
) -> list[int]:
    """Published articles that share topics or cited sources with this one, best first.

    A shared topic counts twice a shared source. Two indexed queries, cached until the set of
    published articles changes (the publication epoch moves).
    """
    epoch = public_pages_epoch() if epoch is None else epoch
    key = f"related:{article.pk}:{epoch}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    scores: dict[int, int] = {}
    for pk, shared in (
        Article.objects.filter(live_version__isnull=False, topics__articles=article)
        .exclude(pk=article.pk)
        .values_list("pk")
        .annotate(n=Count("topics", distinct=True))
    ):
        scores[pk] = scores.get(pk, 0) + 2 * shared
    for pk, shared in (
        CitationLink.objects.filter(
            reference_id__in=CitationLink.objects.filter(article=article).values("reference_id")
        )
        .exclude(article=article)
        .values_list("article_id")
        .annotate(n=Count("id"))
    ):
        scores[pk] = scores.get(pk, 0) + shared
    ranked = [pk for pk, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))][:limit]
    cache.set(key, ranked, RELATED_CACHE_SECONDS)
    return ranked


def article_topics(*, article: Article, epoch: int | None = None) -> list[tuple[str, str]]:
    """(name, slug) of the article's topics, cached until topics or publications change."""
    key = f"topics:{article.pk}:{public_pages_epoch() if epoch is None else epoch}"
    cached = cache.get(key)
    if cached is None:
        cached = list(article.topics.order_by("name").values_list("name", "slug"))
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    return cached
