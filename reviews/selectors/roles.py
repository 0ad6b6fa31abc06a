"""Who holds which workflow role on an article: the reads every authorisation starts from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.models import Article
from reviews.models import ArticleWorkflow, Assignment, ReviewerProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def assigned_reviewer_ids(*, article: Article, cycle: int) -> set[int]:
    return set(
        Assignment.objects.filter(article=article, cycle=cycle).values_list(
            "reviewer_id", flat=True
        )
    )


def roles_for(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    """The workflow roles `user` holds on `article` right now: one query at most, none again for
    the same article object and cycle (a page asks several times).

    The user's groups come from the per-user cache when a page already read them; otherwise the
    same query asks for the three role groups.
    """
    if not user.is_authenticated:
        return frozenset()
    memo = article.__dict__.setdefault("_editorial_roles", {})
    key = (user.pk, workflow.cycle)
    if key not in memo:
        memo[key] = _roles(user=user, article=article, workflow=workflow)
    return memo[key]


def _roles(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    groups = getattr(user, "_editorial_groups", None)
    if groups is not None and not groups & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.REVIEWER]}:
        return frozenset({Role.EDITOR}) if ROLE_GROUPS[Role.EDITOR] in groups else frozenset()
    checks: dict[str, Any] = {
        "author": Exists(
            Article.authors.through.objects.filter(article_id=OuterRef("pk"), user_id=user.pk)
        ),
        "assigned": Exists(
            Assignment.objects.filter(
                article_id=OuterRef("pk"), cycle=workflow.cycle, reviewer_id=user.pk
            )
        ),
    }
    if groups is None:
        membership = user.groups.through.objects.filter(user_id=user.pk)
        checks |= {
            f"in_{role.value}_group": Exists(membership.filter(group__name=name))
            for role, name in ROLE_GROUPS.items()
        }
    row = Article.objects.filter(pk=article.pk).values(**checks).get()
    in_group = {
        role: (ROLE_GROUPS[role] in groups) if groups is not None else row[f"in_{role.value}_group"]
        for role in ROLE_GROUPS
    }
    roles = set()
    if in_group[Role.EDITOR]:
        roles.add(Role.EDITOR)
    if in_group[Role.AUTHOR] and row["author"]:
        roles.add(Role.AUTHOR)
    if in_group[Role.REVIEWER] and row["assigned"]:
        roles.add(Role.REVIEWER)
    return frozenset(roles)


def can_create_articles(*, user: AbstractBaseUser) -> bool:
    return bool(user_group_names(user) & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.EDITOR]})


def can_read_dossier(*, user: AbstractBaseUser, article: Article) -> bool:
    roles = roles_for(user=user, article=article, workflow=article.workflow)
    return bool(roles & {Role.EDITOR, Role.REVIEWER})


def sees_every_article(*, user: AbstractBaseUser) -> bool:
    """Editors and superusers read every article, whatever its state."""
    return user.is_authenticated and (
        user.is_superuser or ROLE_GROUPS[Role.EDITOR] in user_group_names(user)
    )


def visible_articles(*, user: AbstractBaseUser) -> QuerySet[Article]:
    """The articles `user` may read unpublished: editors (and superusers) every one, an author
    their own, a reviewer those assigned in the current round without a declared conflict.

    Built as one queryset so the admin filters its lists, history and related rows with it in
    the database: a draft is read by the people working on it, not by every holder of a group.
    """
    if not user.is_authenticated:
        return Article.objects.none()
    if sees_every_article(user=user):
        return Article.objects.all()
    groups = user_group_names(user)
    visible = Q(pk__in=[])
    if ROLE_GROUPS[Role.AUTHOR] in groups:
        visible |= Q(
            Exists(
                Article.authors.through.objects.filter(article_id=OuterRef("pk"), user_id=user.pk)
            )
        )
    if ROLE_GROUPS[Role.REVIEWER] in groups:
        assigned = Assignment.objects.filter(
            article_id=OuterRef("pk"), cycle=OuterRef("workflow__cycle"), reviewer_id=user.pk
        )
        conflicted = ReviewerProfile.conflicted_articles.through.objects.filter(
            article_id=OuterRef("pk"), reviewerprofile__user_id=user.pk
        )
        visible |= Q(Exists(assigned)) & ~Q(Exists(conflicted))
    return Article.objects.filter(visible)


def may_see_article(*, user: AbstractBaseUser, article_id: int | None) -> bool:
    """Whether `user` may read the unpublished article `article_id` (one query at most)."""
    if article_id is None:
        return False
    return visible_articles(user=user).filter(pk=article_id).exists()


def relatable_articles(*, user: AbstractBaseUser) -> QuerySet[Article]:
    """The articles `user` may name as related: the published ones and those they may read.

    Whatever lies outside is answered as if it did not exist, so naming a slug cannot tell
    anyone that somebody else's draft has it.
    """
    if sees_every_article(user=user):
        return Article.objects.all()
    readable = visible_articles(user=user).values("pk")
    return Article.objects.filter(Q(live_version__isnull=False) | Q(pk__in=readable))
