"""Reads for the editorial process; query counts do not grow with the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from articles.models import Article

from .models import ArticleWorkflow, Assignment, Meaning, SignOff
from .workflow import ROLE_GROUPS, TRANSITIONS, Context, Role, Transition

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def user_group_names(user: AbstractBaseUser) -> frozenset[str]:
    """The user's group names, fetched once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_editorial_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._editorial_groups = cached  # type: ignore[attr-defined]
    return cached


def assigned_reviewer_ids(*, article: Article, cycle: int) -> set[int]:
    return set(
        Assignment.objects.filter(article=article, cycle=cycle).values_list("reviewer_id", flat=True)
    )


def roles_for(*, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow) -> frozenset[Role]:
    """The workflow roles `user` holds on `article` right now."""
    groups = user_group_names(user)
    roles = set()
    if ROLE_GROUPS[Role.EDITOR] in groups:
        roles.add(Role.EDITOR)
    if ROLE_GROUPS[Role.AUTHOR] in groups and article.authors.filter(pk=user.pk).exists():
        roles.add(Role.AUTHOR)
    if ROLE_GROUPS[Role.REVIEWER] in groups and user.pk in assigned_reviewer_ids(
        article=article, cycle=workflow.cycle
    ):
        roles.add(Role.REVIEWER)
    return frozenset(roles)


def user_wrote_or_edited_in_cycle(
    *, article: Article, workflow: ArticleWorkflow, user: AbstractBaseUser
) -> bool:
    """True when `user` is an author of the article or saved a version of it in this cycle."""
    if article.authors.filter(pk=user.pk).exists():
        return True
    return article.history.filter(
        history_user=user, history_date__gte=workflow.cycle_started_at
    ).exists()


def valid_approvals(*, article: Article, workflow: ArticleWorkflow) -> list[SignOff]:
    """Approvals of this cycle on the article's current content hash, one per reviewer."""
    signoffs = SignOff.objects.filter(
        article=article,
        cycle=workflow.cycle,
        content_hash=article.content_hash,
        meaning=Meaning.APPROVED,
    ).order_by("signed_at", "pk")
    by_reviewer: dict[int, SignOff] = {}
    for signoff in signoffs:
        by_reviewer.setdefault(signoff.reviewer_id, signoff)
    return list(by_reviewer.values())


@dataclass(frozen=True)
class Action:
    """A transition the user holds a role for in the current state, with why it is blocked."""

    transition: Transition
    blocked_by: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.blocked_by


def available_actions(*, article: Article, user: AbstractBaseUser) -> list[Action]:
    """Every transition `user` may attempt on `article` now; used to authorise and to draw buttons."""
    workflow = article.workflow
    roles = roles_for(user=user, article=article, workflow=workflow)
    ctx = Context(article=article, workflow=workflow, user=user, roles=roles)
    actions = []
    for transition in TRANSITIONS.values():
        if workflow.state not in transition.sources or not roles & transition.roles:
            continue
        reasons = tuple(reason for guard in transition.guards for reason in guard(ctx))
        actions.append(Action(transition=transition, blocked_by=reasons))
    return actions
