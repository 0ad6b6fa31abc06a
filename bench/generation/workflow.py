"""The editorial history of one article: workflow events in order, sign-offs, state, assignments.

The events are the ones the reviews services would have recorded for the plan's category
(submitted, in review, changes requested, published with earlier approvals voided...), each a
few hours after the version it concerns; bench.generation.chain turns them into chained rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bench.generation.articles import Draft
from bench.generation.plans import Plan
from bench.generation.shared import FEATURED_SLUG, WRITE_PATH_SLUGS, whole_ms
from reviews.models import ArticleWorkflow, Assignment, Meaning, State

# (action, from state, to state, version row, actor, at, note)
Event = tuple[str, str, str, Any, Any, datetime, str]
# (version row, reviewer, meaning, at, note)
SignOffPlan = tuple[Any, Any, str, datetime, str]


@dataclass
class History:
    """Where the article's workflow ended up, and the events and sign-offs that took it there."""

    events: list[Event] = field(default_factory=list)
    signoffs: list[SignOffPlan] = field(default_factory=list)
    state: str = State.DRAFT
    cycle: int = 0
    last_reviewed: date | None = None
    published_at: datetime | None = None
    submit_at: datetime | None = None

    @property
    def changed_at(self) -> datetime:
        """When the workflow last changed: the last event's time."""
        return self.events[-1][5]

    def event(
        self, action: str, frm: str, to: str, version: Any, actor: Any, at: datetime, note: str = ""
    ) -> None:
        self.events.append((action, frm, to, version, actor, at, note))


def choose_reviewers(plan: Plan, pool: list[Any], count: int) -> list[Any]:
    """`reviewer` reviews a third of the articles (their dashboard has real lists)."""
    first = (
        pool[0]
        if plan.index % 3 == 0
        else pool[2 + plan.index % max(1, len(pool) - 2)]
        if len(pool) > 2
        else pool[0]
    )
    if plan.slug in WRITE_PATH_SLUGS.values() or plan.slug == FEATURED_SLUG:
        first = pool[0]
    if count == 1:
        return [first]
    second = pool[1] if first is not pool[1] else pool[0]
    return [first, second]


def _after(row: Any, at: datetime, hours: float) -> datetime:
    return whole_ms(max(at, row.history_date) + timedelta(hours=hours))


def _void_approvals(history: History, edited: Any, author: Any, at: datetime) -> None:
    history.event(
        "void_approvals",
        State.APPROVED,
        State.UNDER_REVIEW,
        edited,
        author,
        at,
        f"Approval voided by change in version {edited.version} (substantive): "
        f"{edited.history_change_reason}",
    )
    history.state = State.UNDER_REVIEW


def editorial_history(draft: Draft, reviewers: list[Any], rng: random.Random) -> History:
    """The events and sign-offs of the plan's category, in order, as the services write them."""
    plan, version_rows = draft.plan, draft.versions
    author, editor = draft.author, draft.editor
    history = History()
    history.event(
        "create",
        State.DRAFT,
        State.DRAFT,
        version_rows[0],
        author,
        version_rows[0].history_date,
        "First version.",
    )
    at = draft.created
    if plan.category == "draft":
        return history
    first = (
        plan.published_versions[0]
        if plan.published_versions
        else max(1, plan.versions - rng.randrange(2))
    )
    target = version_rows[first - 1]
    at = history.submit_at = _after(target, at, 1)
    history.cycle = 1
    history.event("submit", State.DRAFT, State.SUBMITTED, target, author, at)
    history.state = State.SUBMITTED
    if plan.category != "submitted":
        at = _after(target, at, 2)
        history.event("start_review", State.SUBMITTED, State.UNDER_REVIEW, target, editor, at)
        history.state = State.UNDER_REVIEW
    if plan.category == "pending":
        at = _after(target, at, 1)
        history.event(
            "publish_pending_review",
            history.state,
            history.state,
            target,
            editor,
            at,
            "Published early while the board completes its review.",
        )
        history.published_at = at
    elif plan.category == "changes_requested":
        at = _after(target, at, 3)
        note = "Please give the adult doses and cite the current guideline."
        history.signoffs.append((target, reviewers[0], Meaning.CHANGES_REQUESTED, at, note))
        history.event(
            "request_changes",
            history.state,
            State.CHANGES_REQUESTED,
            target,
            reviewers[0],
            at,
            note,
        )
        history.state = State.CHANGES_REQUESTED
    elif plan.category in ("published", "published_new_draft"):
        for k, p in enumerate(plan.published_versions):
            target = version_rows[p - 1]
            if k > 0:
                edited = version_rows[plan.published_versions[k - 1]]
                at = _after(edited, at, 0.1)
                _void_approvals(history, edited, author, at)
            for r in reviewers:
                at = _after(target, at, 1 + rng.randrange(5))
                history.signoffs.append(
                    (target, r, Meaning.APPROVED, at, "Checked against the cited sources.")
                )
            history.event("approve", State.UNDER_REVIEW, State.APPROVED, target, reviewers[-1], at)
            history.state, history.last_reviewed = State.APPROVED, at.date()
            at = _after(target, at, 1)
            history.event("publish", history.state, history.state, target, editor, at)
            history.published_at = at
        if plan.category == "published_new_draft":
            edited = version_rows[plan.published_versions[-1]]
            at = _after(edited, at, 0.1)
            _void_approvals(history, edited, author, at)
    return history


def workflow_row(draft: Draft, history: History) -> Any:
    """The article's workflow: its state, cycle, approvals needed and review dates."""
    plan = draft.plan
    last_reviewed = history.last_reviewed
    return ArticleWorkflow(
        article_id=plan.pk,
        state=history.state,
        cycle=history.cycle,
        cycle_started_at=history.submit_at or draft.created,
        required_approvals=2 if plan.high_risk else 1,
        high_risk=plan.high_risk,
        last_reviewed_on=last_reviewed,
        next_review_due=(last_reviewed + timedelta(days=365)) if last_reviewed else None,
        state_changed_at=history.changed_at,
    )


def assignments(draft: Draft, history: History, reviewers: list[Any]) -> list[Any]:
    """The reviewers the editor assigned a day after submission (none before review starts)."""
    if not history.cycle or draft.plan.category == "submitted":
        return []
    assert history.submit_at is not None  # a cycle starts with a submission
    assigned_at = history.submit_at + timedelta(days=1)
    return [
        Assignment(
            article_id=draft.plan.pk,
            reviewer_id=r.pk,
            cycle=history.cycle,
            assigned_by_id=draft.editor.pk,
            assigned_at=assigned_at,
            due_on=(assigned_at + timedelta(days=14)).date(),
        )
        for r in reviewers
    ]
