"""The actions a user may take on an article now, read from the workflow table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from articles.models import Article
from reviews.guards import Context, needs_input
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
