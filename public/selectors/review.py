"""Where a published article's live version stands on the review tracker, and who approved it.

Shared by the article page, the feeds and the API, so all of them say the same thing about an
article: one query answers it for any number of articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from articles.models import Article
from reviews.models import ArticleWorkflow, Meaning, SignOff, State
from reviews.workflow import TRACKER_STEPS


@dataclass(frozen=True)
class TrackerStep:
    """One step of the Submitted -> Under Review -> Approved tracker as the page draws it."""

    state: State
    label: str
    current: bool
    done: bool


def live_status(*, article: Article, workflow: ArticleWorkflow | None, approved: bool) -> State:
    """Where the live version stands on the tracker Submitted -> Under Review -> Approved."""
    if approved:
        return State.APPROVED
    if workflow is None or workflow.state in {State.DRAFT, State.SUBMITTED}:
        return State.SUBMITTED
    return State.UNDER_REVIEW


def tracker_steps(status: State) -> list[TrackerStep]:
    """The tracker's steps with the one `status` is at marked current and those before it done."""
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


def verified_approvals(articles: list[Article]) -> dict[int, list[SignOff]]:
    """The approvals of each published article's live version that verify, by article id, in
    signing order; one query for all of them.

    Each article needs `live_version` (its number and content_hash) loaded with it.
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
    return by_article


def live_review(article: Article, approvals: list[SignOff]) -> LiveReview:
    """Where the article's live version stands, given its verified approvals.

    The article needs `live_pending_review` and its `workflow` (state, last_reviewed_on).
    """
    approved = not article.live_pending_review and bool(approvals)
    workflow: ArticleWorkflow | None = getattr(article, "workflow", None)
    status = live_status(article=article, workflow=workflow, approved=approved)
    return LiveReview(status=status, approvals=approvals if approved else [], workflow=workflow)


def live_reviews(articles: list[Article]) -> dict[int, LiveReview]:
    """The LiveReview of each published article, by id; one query for all of them.

    Each article needs `live_version` (its content_hash), `live_pending_review` and its
    `workflow` (state, last_reviewed_on) loaded with it: the answer is the one
    `article_page` gives for a single article.
    """
    approvals = verified_approvals(articles)
    return {article.pk: live_review(article, approvals[article.pk]) for article in articles}
