"""The three editorial roles and the auth groups behind them.

A group says what a person may do at all; whether they hold a role on one article (its author, a
reviewer assigned in the current round) is the workflow's business (reviews.selectors.roles.roles_for).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Role(StrEnum):
    AUTHOR = "author"  # in the Author group and an author of this article
    EDITOR = "editor"  # in the Editor group
    REVIEWER = "reviewer"  # in the Medical reviewer group and assigned in the current cycle


# The auth group behind each role (created by a data migration).
ROLE_GROUPS: dict[Role, str] = {
    Role.AUTHOR: "Author",
    Role.EDITOR: "Editor",
    Role.REVIEWER: "Medical reviewer",
}


def user_group_names(user: AbstractBaseUser) -> frozenset[str]:
    """The user's group names, fetched once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_editorial_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._editorial_groups = cached  # type: ignore[attr-defined]
    return cached
