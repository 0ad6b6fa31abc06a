"""Accounts: editors, authors and reviewers (with public reviewer profiles), one shared password.

The first of each role has the fixed name the runner signs in with (`editor`, `author`,
`reviewer`, `reviewer2`); the rest grow with the scale so dashboards have realistic lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.roles import ROLE_GROUPS, Role
from bench.generation.database import next_pk
from bench.generation.shared import BENCH_PASSWORD
from reviews.models import ReviewerProfile


@dataclass
class Staff:
    """The accounts written, by role, and each reviewer's profile by user id."""

    editors: list[Any]
    authors: list[Any]
    reviewers: list[Any]
    profiles: dict[int, Any]
    users: int


def create_accounts(*, articles: int, now: datetime) -> Staff:
    """Users in their role groups, sized to the scale, and a verified profile per reviewer."""
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    groups = {role: Group.objects.get(name=name) for role, name in ROLE_GROUPS.items()}
    n_editors = 3
    n_authors = max(5, min(200, articles // 50))
    n_reviewers = max(6, min(100, articles // 100))
    start = next_pk(User)
    users: list[Any] = []
    roles: list[Role] = []

    def add(username: str, role: Role, first: str, last: str) -> None:
        users.append(
            User(
                pk=start + len(users),
                username=username,
                password=password,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                is_staff=role == Role.EDITOR,
                date_joined=now,
            )
        )
        roles.append(role)

    add("editor", Role.EDITOR, "Eddie", "Editor")
    for i in range(2, n_editors + 1):
        add(f"editor{i}", Role.EDITOR, "Edna", f"Editor{i}")
    add("author", Role.AUTHOR, "Ada", "Author")
    for i in range(2, n_authors + 1):
        add(f"author{i}", Role.AUTHOR, "Alan", f"Author{i}")
    add("reviewer", Role.REVIEWER, "Rita", "Reviewer")
    add("reviewer2", Role.REVIEWER, "Ravi", "Reviewer")
    for i in range(3, n_reviewers + 1):
        add(f"reviewer{i}", Role.REVIEWER, "Rosa", f"Reviewer{i}")
    User.objects.bulk_create(users)
    Through = User.groups.through
    Through.objects.bulk_create(
        [Through(user_id=u.pk, group_id=groups[r].pk) for u, r in zip(users, roles, strict=False)]
    )
    verified = (now - timedelta(days=60)).date()
    profile_start = next_pk(ReviewerProfile)
    profiles = []
    for u, r in zip(users, roles, strict=False):
        if r == Role.REVIEWER:
            profiles.append(
                ReviewerProfile(
                    pk=profile_start + len(profiles),
                    user_id=u.pk,
                    slug=f"dr-{u.username}",
                    display_name=f"Dr {u.first_name} {u.last_name}",
                    credentials="MBBS, MD",
                    specialty="Endocrinology",
                    bio="A member of the board for the benchmark.",
                    conflicts_of_interest="None declared.",
                    credentials_verified_on=verified,
                )
            )
    ReviewerProfile.objects.bulk_create(profiles)
    return Staff(
        editors=[u for u, r in zip(users, roles, strict=False) if r == Role.EDITOR],
        authors=[u for u, r in zip(users, roles, strict=False) if r == Role.AUTHOR],
        reviewers=[u for u, r in zip(users, roles, strict=False) if r == Role.REVIEWER],
        profiles={p.user_id: p for p in profiles},
        users=len(users),
    )
