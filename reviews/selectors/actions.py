"""The actions a user may take on an article now, read from the workflow table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from articles.models import Article
from reviews.guards import Context, needs_input
from reviews.models import Assignment
from reviews.selectors.roles import roles_for
from reviews.transition import Transition
from reviews.workflow import TRANSITIONS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Action:
    """A transition the user holds a role for in the current state, with why it is blocked."""

    transition: Transition
    blocked_by: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.blocked_by


def available_actions(
    *, article: Article, user: AbstractBaseUser, memo: dict[str, Any] | None = None
) -> list[Action]:
    """Every transition `user` may attempt on `article` now; used to authorise and to draw buttons.

    `memo` lets a caller share what the guards computed (the checks) with the rest of a page.
    """
    workflow = article.workflow
    roles = roles_for(user=user, article=article, workflow=workflow)
    ctx = Context(
        article=article,
        workflow=workflow,
        user=user,
        roles=roles,
        memo=memo if memo is not None else {},
    )
    actions = []
    for transition in TRANSITIONS.values():
        if workflow.state not in transition.sources or not roles & transition.roles:
            continue
        reasons = tuple(
            reason for guard in transition.guards if not needs_input(guard) for reason in guard(ctx)
        )
        actions.append(Action(transition=transition, blocked_by=reasons))
    return actions


def action_initial(*, article: Article, transition: Transition) -> dict[str, Any]:
    """What an action's form starts with: the hash read, and for assigning reviewers the current
    round's reviewers and due date, so that changing one reviewer does not mean choosing them
    all again (the service takes a reviewer left unticked off the round)."""
    initial: dict[str, Any] = {"content_hash": article.content_hash}
    if transition.input("reviewers") is not None:
        round_ = list(
            Assignment.objects.filter(article=article, cycle=article.workflow.cycle)
            .order_by("assigned_at")
            .values_list("reviewer_id", "due_on")
        )
        initial["reviewers"] = [reviewer for reviewer, _ in round_]
        due_dates = [due for _, due in round_ if due is not None]
        # A past due date (a late round) is not offered again: the service refuses one.
        if due_dates and transition.input("due_on") is not None:
            if min(due_dates) >= timezone.localdate():
                initial["due_on"] = min(due_dates)
    return initial
