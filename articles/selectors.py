"""Reads for the public site. Each page costs a fixed number of queries, whatever the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from reviews.models import ArticleWorkflow, Meaning, ReviewerProfile, SignOff, State
from reviews.workflow import TRACKER_STEPS

from .audiences import Audience, audiences
from .models import Article, Disclaimer, Rendition, SitePage, disclaimer_cache_key
from .services import rendition_get_or_create

DISCLAIMER_CACHE_SECONDS = 60 * 60


def disclaimer_text(*, audience: str) -> str:
    """The disclaimer for an audience, from the cache when possible (editors change it rarely)."""
    key = disclaimer_cache_key(audience)
    text = cache.get(key)
    if text is None:
        text = Disclaimer.objects.filter(audience=audience).values_list("text", flat=True).first() or ""
        cache.set(key, text, DISCLAIMER_CACHE_SECONDS)
    return text


def published_articles() -> QuerySet[Article]:
    return (
        Article.objects.filter(live_version__isnull=False)
        .select_related("live_version")
        .only("slug", "live_pending_review", "published_at", "live_version__title",
              "live_version__summary", "live_version__updated_at", "live_version__version")
        .order_by("-published_at", "pk")
    )


def published_article_page(*, page_number: str | int | None, per_page: int = 20) -> Page:
    return Paginator(published_articles(), per_page).get_page(page_number)


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
    def last_reviewed(self) -> date | None:
        return max((s.signed_at for s in self.approvals), default=None)

    @property
    def next_review_due(self) -> date | None:
        return self.workflow.next_review_due if self.workflow and self.approved else None

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
        TrackerStep(state=step, label=step.label, current=i == index, done=i < index or status == State.APPROVED)
        for i, step in enumerate(TRACKER_STEPS)
    ]


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
    workflow = getattr(article, "workflow", None)
    approvals = list(
        SignOff.objects.filter(
            article=article, content_hash=version.content_hash, meaning=Meaning.APPROVED
        )
        .select_related("reviewer__reviewer_profile")
        .order_by("signed_at", "pk")
    )
    approved = not article.live_pending_review and bool(approvals)
    status = live_status(article=article, workflow=workflow, approved=approved)
    related_ids = list(version.related_ids or [])
    related = sorted(
        Article.objects.filter(pk__in=related_ids, live_version__isnull=False)
        .select_related("live_version")
        .only("slug", "live_version__title", "live_pending_review"),
        key=lambda a: related_ids.index(a.pk),
    ) if related_ids else []
    return ArticlePage(
        article=article,
        version=version,
        audience=audience,
        rendition=rendition_get_or_create(version=version, audience=audience.key),
        status=status,
        tracker=tracker_steps(status),
        approvals=approvals if approved else [],
        reviewers={s.reviewer_id: getattr(s.reviewer, "reviewer_profile", None) for s in approvals},
        authors=list(article.authors.all()),
        related=related,
        disclaimer=disclaimer_text(audience=audience.key),
        workflow=workflow,
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
