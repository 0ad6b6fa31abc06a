"""Reads for the public site. Each page costs a fixed number of queries, whatever the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from articles.audiences import Audience, audiences
from articles.models import (
    Article,
    ChangeWeight,
    CitationLink,
    Disclaimer,
    Rendition,
    SitePage,
    Topic,
    disclaimer_cache_key,
)
from articles.services import rendition_get_or_create
from public.page_cache import public_pages_epoch
from references.models import Reference
from references.selectors import references_for_keys
from reviews.models import ArticleWorkflow, AuditEvent, Meaning, ReviewerProfile, SignOff, State
from reviews.workflow import TRACKER_STEPS

DISCLAIMER_CACHE_SECONDS = 60 * 60


def disclaimer_text(*, audience: str) -> str:
    """The disclaimer for an audience, from the cache when possible (editors change it rarely)."""
    key = disclaimer_cache_key(audience)
    text = cache.get(key)
    if text is None:
        text = (
            Disclaimer.objects.filter(audience=audience).values_list("text", flat=True).first()
            or ""
        )
        cache.set(key, text, DISCLAIMER_CACHE_SECONDS)
    return text


def published_articles() -> QuerySet[Article]:
    return (
        Article.objects.filter(live_version__isnull=False)
        .select_related("live_version")
        .only(
            "slug",
            "live_pending_review",
            "published_at",
            "live_version__title",
            "live_version__summary",
            "live_version__updated_at",
            "live_version__version",
        )
        .order_by("-published_at", "pk")
    )


def published_article_page(*, page_number: str | int | None, per_page: int = 20) -> Page:
    return published_paginator(published_articles(), per_page=per_page).get_page(page_number)


class FromEitherEndPaginator(Paginator):
    """Reads a page in the back half of the list from the other end (the order reversed, then
    the rows put back): an OFFSET costs the rows it skips, so the last page of a long list costs
    what the first does and no page skips more than half the list."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count // 2 or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)


# At most this stale where the epoch cannot reach every worker (a per-process cache, no Redis).
PUBLISHED_COUNT_SECONDS = 60


def published_paginator(
    queryset: QuerySet[Article], *, per_page: int, scope: str = "all"
) -> Paginator:
    """A paginator over published articles whose count comes from the cache until the set of
    published articles changes (the publication epoch moves): counting every published article
    on each request is the one cost of a list page that grows with the data. `scope` names the
    subset (a topic) the queryset holds."""
    key = f"published-count:{public_pages_epoch()}:{scope}"
    paginator = FromEitherEndPaginator(queryset, per_page)
    count = cache.get(key)
    if count is None:
        count = paginator.count
        cache.set(key, count, PUBLISHED_COUNT_SECONDS)
    paginator.__dict__["count"] = count
    return paginator


@dataclass(frozen=True)
class TrackerStep:
    state: State
    label: str
    current: bool
    done: bool


@dataclass(frozen=True)
class ArticlePage:
    """Everything the public article page shows, read from the live (frozen) version."""

    article: Article
    version: Any  # the historical row readers see
    audience: Audience
    rendition: Rendition
    status: State
    tracker: list[TrackerStep]
    approvals: list[SignOff]
    reviewers: dict[int, ReviewerProfile]
    authors: list[Any]
    related: list[Article]
    disclaimer: str
    workflow: ArticleWorkflow | None
    review: LiveReview
    topics: list[tuple[str, str]]

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
    def reference_groups(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The bibliography split as the reference page shows it: guidelines, then research.

        Numbers stay those of the text (Vancouver order); only the grouping is added.
        """
        citations = self.rendition.citations
        guidelines = [c for c in citations if c["kind"] == "guideline"]
        research = [c for c in citations if c["kind"] != "guideline"]
        groups = [("From the Guidelines", guidelines), ("From the Research", research)]
        return [(title, items) for title, items in groups if items]

    @property
    def review_overdue(self) -> bool:
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())

    @property
    def fallback_audience(self) -> Audience | None:
        if self.rendition.is_fallback:
            return audiences().get(self.rendition.source_audience)
        return None


def live_status(*, article: Article, workflow: ArticleWorkflow | None, approved: bool) -> State:
    """Where the live version stands on the tracker Submitted -> Under Review -> Approved."""
    if approved:
        return State.APPROVED
    if workflow is None or workflow.state in {State.DRAFT, State.SUBMITTED}:
        return State.SUBMITTED
    return State.UNDER_REVIEW


def tracker_steps(status: State) -> list[TrackerStep]:
    index = TRACKER_STEPS.index(status)
    return [
        TrackerStep(
            state=step,
            label=step.label,
            current=i == index,
            done=i < index or status == State.APPROVED,
        )
        for i, step in enumerate(TRACKER_STEPS)
    ]


@dataclass(frozen=True)
class LiveReview:
    """Where a published article's live version stands, and who approved it."""

    status: State
    approvals: list[SignOff]
    workflow: ArticleWorkflow | None

    @property
    def approved(self) -> bool:
        return self.status == State.APPROVED

    @property
    def last_reviewed(self) -> date | None:
        """As `ArticlePage.last_reviewed`: the last full review, not moved by a minor re-approval."""
        if not self.approved:
            return None
        if self.workflow and self.workflow.last_reviewed_on:
            return self.workflow.last_reviewed_on
        signed = max((s.signed_at for s in self.approvals), default=None)
        return signed.date() if signed else None


def live_reviews(articles: list[Article]) -> dict[int, LiveReview]:
    """The LiveReview of each published article, by id; one query for all of them.

    Each article needs `live_version` (its content_hash), `live_pending_review` and its
    `workflow` (state, last_reviewed_on) loaded with it: the answer is the one
    `selectors.article_page` gives for a single article.
    """
    live_hashes = {a.pk: a.live_version.content_hash for a in articles}
    by_article: dict[int, list[SignOff]] = {pk: [] for pk in live_hashes}
    if live_hashes:
        live_numbers = {a.pk: a.live_version.version for a in articles}
        signoffs = (
            SignOff.objects.filter(
                article_id__in=live_hashes,
                content_hash__in=set(live_hashes.values()),
                meaning=Meaning.APPROVED,
            )
            .select_related("reviewer__reviewer_profile")
            .order_by("signed_at", "pk")
        )
        for signoff in signoffs:
            # Shown only if it still verifies and names the version readers see.
            if (
                live_hashes[signoff.article_id] == signoff.content_hash
                and live_numbers[signoff.article_id] == signoff.version
                and signoff.verify()
            ):
                by_article[signoff.article_id].append(signoff)
    reviews = {}
    for article in articles:
        approvals = by_article[article.pk]
        approved = not article.live_pending_review and bool(approvals)
        workflow: ArticleWorkflow | None = getattr(article, "workflow", None)
        status = live_status(article=article, workflow=workflow, approved=approved)
        reviews[article.pk] = LiveReview(
            status=status, approvals=approvals if approved else [], workflow=workflow
        )
    return reviews


def article_page(*, slug: str, audience: Audience) -> ArticlePage:
    """The public page of a published article; Http404 when it has no live version."""
    article = (
        Article.objects.select_related("live_version", "workflow")
        .filter(slug=slug, live_version__isnull=False)
        .first()
    )
    if article is None:
        raise Http404("No published article with this address.")
    version = article.live_version
    review = live_reviews([article])[article.pk]
    chosen = list(version.related_ids or [])
    related_ids = chosen + [pk for pk in automatic_related_ids(article=article) if pk not in chosen]
    related_ids = related_ids[: len(chosen) + AUTOMATIC_RELATED]
    related = (
        sorted(
            Article.objects.filter(pk__in=related_ids, live_version__isnull=False)
            .select_related("live_version")
            .only("slug", "live_version__title", "live_pending_review"),
            key=lambda a: related_ids.index(a.pk),
        )
        if related_ids
        else []
    )
    return ArticlePage(
        article=article,
        version=version,
        audience=audience,
        rendition=rendition_get_or_create(version=version, audience=audience.key),
        status=review.status,
        tracker=tracker_steps(review.status),
        approvals=review.approvals,
        reviewers={
            s.reviewer_id: getattr(s.reviewer, "reviewer_profile", None) for s in review.approvals
        },
        authors=list(article.authors.all()),
        related=related,
        disclaimer=disclaimer_text(audience=audience.key),
        workflow=review.workflow,
        review=review,
        topics=article_topics(article=article),
    )


def board_members() -> QuerySet[ReviewerProfile]:
    return ReviewerProfile.objects.filter(on_board=True).order_by("display_name")


def site_page(*, slug: str) -> SitePage:
    page = site_page_or_none(slug=slug)
    if page is None:
        raise Http404("No such page.")
    return page


def site_page_or_none(*, slug: str) -> SitePage | None:
    return SitePage.objects.filter(slug=slug).first()


def published_article(*, slug: str) -> Article:
    """The article with its live version; Http404 when it is not published."""
    article = (
        Article.objects.select_related("live_version")
        .filter(slug=slug, live_version__isnull=False)
        .first()
    )
    if article is None:
        raise Http404("No published article with this address.")
    return article


def page_with_count(queryset: QuerySet[Any], *, page_number: Any, per_page: int) -> Page:
    """A page of `queryset` and its paginator, in one query: each row carries the total
    (COUNT(*) OVER ()), so no separate COUNT is run. A number past the end gives the last page
    and anything that is not a number the first, as Paginator.get_page does."""
    try:
        number = max(1, int(page_number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset.annotate(total_rows=Window(Count("pk")))[offset : offset + per_page])
    paginator = Paginator(queryset, per_page)
    if not rows:
        return paginator.get_page(number)  # empty, or past the end: Paginator counts and decides
    paginator.__dict__["count"] = rows[0].total_rows
    return Page(rows, number, paginator)


WEIGHT_ORDER = [ChangeWeight.MINOR, ChangeWeight.SUBSTANTIVE, ChangeWeight.CONCLUSIONS]


@dataclass(frozen=True)
class PublishedVersion:
    """One entry of an article's public history: a version that readers were shown."""

    version: int
    published_at: datetime
    pending_review: bool
    weight: ChangeWeight
    changes: list[str]
    edited_by: list[str]
    reviewers: list[SignOff]


def public_history(
    *, article: Article, page_number: Any, per_page: int = 20
) -> tuple[Page, list[PublishedVersion]]:
    """Every publication of the article, newest first, with what changed since the one before.

    Only versions that went live appear, and only their metadata: no draft text. Three queries
    per page (publications with their count, the versions they span, the approvals), whatever
    the number of versions.
    """
    publications = AuditEvent.objects.filter(
        article=article, action__in=["publish", "publish_pending_review"]
    )
    page = page_with_count(
        publications.order_by("-created_at", "-pk").only(
            "version", "created_at", "action", "content_hash"
        ),
        page_number=page_number,
        per_page=per_page,
    )
    published = list(page)
    if not published:
        return page, []
    # The versions saved since the publication before this page's oldest, which each row carries
    # (`earlier`, one sub-select), so a page's first entry lists its changes too.
    earlier_publication = (
        publications.filter(version__lt=min(e.version for e in published))
        .order_by("-version")
        .values("version")[:1]
    )
    rows = list(
        article.history.annotate(earlier=Coalesce(Subquery(earlier_publication), 0))
        .filter(version__gt=F("earlier"), version__lte=max(e.version for e in published))
        .select_related("history_user")
        .only(
            "version",
            "history_change_reason",
            "change_weight",
            "history_user__first_name",
            "history_user__last_name",
            "history_user__username",
            "id",
        )
        .order_by("version")
    )
    earlier = rows[0].earlier if rows else 0
    signoffs: dict[str, list[SignOff]] = {}
    for signoff in SignOff.objects.filter(
        article=article,
        meaning=Meaning.APPROVED,
        content_hash__in={e.content_hash for e in published},
    ).order_by("signed_at", "pk"):
        signoffs.setdefault(signoff.content_hash, []).append(signoff)
    entries = []
    published_versions = sorted({e.version for e in published} | {earlier})
    for event in published:
        previous = max((v for v in published_versions if v < event.version), default=0)
        span = [r for r in rows if previous < r.version <= event.version]
        weights = [ChangeWeight(r.change_weight) for r in span] or [ChangeWeight.SUBSTANTIVE]
        entries.append(
            PublishedVersion(
                version=event.version,
                published_at=event.created_at,
                pending_review=event.action == "publish_pending_review",
                weight=max(weights, key=WEIGHT_ORDER.index),
                changes=[r.history_change_reason for r in span if r.history_change_reason],
                edited_by=sorted(
                    {
                        (r.history_user.get_full_name() or r.history_user.get_username())
                        for r in span
                        if r.history_user
                    }
                ),
                reviewers=[]
                if event.action == "publish_pending_review"
                else signoffs.get(event.content_hash, []),
            )
        )
    return page, entries


AUTOMATIC_RELATED = 5
RELATED_CACHE_SECONDS = 60 * 60


def automatic_related_ids(*, article: Article, limit: int = AUTOMATIC_RELATED * 2) -> list[int]:
    """Published articles that share topics or cited sources with this one, best first.

    A shared topic counts twice a shared source. Two indexed queries, cached until the set of
    published articles changes (the publication epoch moves).
    """
    epoch = public_pages_epoch()
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


def topic_page(*, slug: str, page_number: Any, per_page: int = 20) -> tuple[Topic, Page]:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise Http404("No such topic.")
    articles = published_articles().filter(topics=topic)
    return topic, published_paginator(
        articles, per_page=per_page, scope=f"topic:{topic.pk}"
    ).get_page(page_number)


def topics_with_articles() -> QuerySet[Topic]:
    return (
        Topic.objects.filter(articles__live_version__isnull=False)
        .annotate(published=Count("articles", distinct=True))
        .order_by("name")
    )


def article_topics(*, article: Article) -> list[tuple[str, str]]:
    """(name, slug) of the article's topics, cached until topics or publications change."""
    key = f"topics:{article.pk}:{public_pages_epoch()}"
    cached = cache.get(key)
    if cached is None:
        cached = list(article.topics.order_by("name").values_list("name", "slug"))
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    return cached


def published_article_references(*, slug: str) -> Sequence[Reference] | None:
    """The references of a published article's live version: those it cites, in order of first
    citation, then the sources it lists without citing them, in the list's order.

    None when no published article has this slug: drafts and unpublished articles do not expose
    what they cite.
    """
    article = (
        Article.objects.filter(slug=slug, live_version__isnull=False)
        .select_related("live_version")
        .only("slug", "live_version__citation_keys", "live_version__sources")
        .first()
    )
    if article is None:
        return None
    version = article.live_version
    keys = [*(version.citation_keys or []), *(version.sources or [])]
    found = references_for_keys(keys)
    ordered: dict[int, Reference] = {}
    for key in keys:
        ref = found.get(key)
        if ref is not None:
            ordered.setdefault(ref.pk, ref)
    # The exports name what supersedes a reference by its citekey: fetch those in one query.
    targets = Reference.objects.only("citekey").in_bulk(
        {r.superseded_by_id for r in ordered.values() if r.superseded_by_id}
    )
    for ref in ordered.values():
        if ref.superseded_by_id in targets:
            ref.superseded_by = targets[ref.superseded_by_id]
    return list(ordered.values())
