"""Builders for tests: users in roles, references, and articles driven through the services."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role
from articles.models import Article
from references.models import Reference
from reviews.models import ReviewerProfile
from reviews.services.content import draft_create, draft_update
from reviews.services.transitions import transition_apply

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_user(role: Role | None = None, *, username: str | None = None, **extra: Any) -> Any:
    n = next(_seq)
    username = username or f"user{n}"
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        first_name=f"First{n}",
        last_name=f"Last{n}",
        **extra,
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    if role == Role.REVIEWER:
        ReviewerProfile.objects.create(
            user=user,
            slug=f"reviewer-{n}",
            display_name=f"Dr Reviewer {n}",
            credentials="MD",
            specialty="Endocrinology",
            credentials_verified_on=timezone.localdate() - timedelta(days=30),
        )
    return user


def make_reference(**fields: Any) -> Reference:
    n = next(_seq)
    values: dict[str, Any] = {
        "citekey": f"ref-{n}",
        "kind": Reference.Kind.JOURNAL_ARTICLE,
        "authors": [{"family": "Author", "initials": "A"}],
        "title": f"A study number {n}",
        "journal": "J Test",
        "year": 2020,
        "volume": "1",
        "pages": f"{n}-{n + 9}",
        "pmid": str(10_000_000 + n),
    }
    values.update(fields)
    reference = Reference(**values)
    reference.full_clean()
    reference.save()
    return reference


def article_texts(
    *,
    citations: list[Reference] | None = None,
    audiences: tuple[str, ...] = ("patient", "clinician"),
) -> dict[str, str]:
    markers = " ".join(f"Claim [@pmid:{r.pmid}]." for r in citations or [])
    return {key: f"## About\n\nText for the {key}. {markers}" for key in audiences}


def make_article(
    *,
    author: Any,
    slug: str | None = None,
    citations: list[Reference] | None = None,
    texts: dict[str, str] | None = None,
    high_risk: bool = False,
    **fields: Any,
) -> Article:
    """A draft; `high_risk` gives its text a dose statement, which asks for two approvals."""
    n = next(_seq)
    if high_risk:
        texts = dict(texts if texts is not None else article_texts(citations=citations))
        texts["patient"] = texts.get("patient", "") + "\n\nTake 500 mg by mouth twice a day."
    return draft_create(
        user=author,
        slug=slug or f"article-{n}",
        title=fields.pop("title", f"What is question {n}?"),
        summary=fields.pop("summary", "A short summary."),
        texts=texts if texts is not None else article_texts(citations=citations),
        **fields,
    )


def submit_and_review(
    article: Article, *, author: Any, editor: Any, reviewers: list[Any]
) -> Article:
    transition_apply(article=article, user=author, action="submit")
    transition_apply(
        article=article, user=editor, action="start_review", params={"reviewers": reviewers}
    )
    return Article.objects.get(pk=article.pk)


def approve(article: Article, reviewer: Any) -> None:
    transition_apply(
        article=article,
        user=reviewer,
        action="approve",
        password=PASSWORD,
        params={"content_hash": article.content_hash},
    )


def publish_approved(
    article: Article, *, author: Any, editor: Any, reviewers: list[Any]
) -> Article:
    """Walk an article through review, every reviewer approving, and publish it."""
    article = submit_and_review(article, author=author, editor=editor, reviewers=reviewers)
    for reviewer in reviewers:
        approve(article, reviewer)
    transition_apply(article=article, user=editor, action="publish")
    return Article.objects.get(pk=article.pk)


def publish_revision(
    article: Article, *, author: Any, editor: Any, reviewer: Any, summary: str
) -> Article:
    """Revise a published article (a new version, back under review), approve it and publish it."""
    article = Article.objects.get(pk=article.pk)
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": summary},
        change_reason="Revised.",
    )
    article = Article.objects.get(pk=article.pk)
    approve(article, reviewer)
    transition_apply(article=article, user=editor, action="publish")
    return Article.objects.get(pk=article.pk)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_data(article: Article, **changes: Any) -> dict[str, Any]:
    """The workspace edit form's fields for `article` as it stands, with `changes` applied."""
    data = {
        "title": article.title,
        "summary": article.summary,
        "base_version": article.version,
        "change_reason": "Clarify.",
        "change_weight": "substantive",
        **{f"text_{k}": v for k, v in article.texts.items()},
    }
    data.update(changes)
    return data


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    """Raw SQL as a database superuser would run it: PostgreSQL's append-only triggers skipped.

    Tamper tests play an attacker who can do anything in the database; on SQLite there are no
    triggers to skip.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


# Models that moved app since that migration was written (their permissions moved with them).
MOVED_MODELS = {
    "reference": "references",
    "historicalreference": "references",
    "apitoken": "accounts",
}


def _now_labelled(code: str) -> tuple[str, str]:
    app_label, codename = code.split(".")
    model = codename.split("_", 1)[1]
    return MOVED_MODELS.get(model, app_label), codename


def role_groups_ensure() -> None:
    """Create the role groups and their permissions as migration reviews/0002_roles does.

    A transactional test ends with a flush: the post_migrate signal then re-creates content
    types and permissions, but not the groups that the data migration made. (Serialized
    rollback is no way out: it clashes on content types once another transactional test, such
    as the browser tests, has flushed without it.)
    """
    roles = importlib.import_module("reviews.migrations.0002_roles").ROLE_PERMISSIONS
    for name, codes in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [_now_labelled(code) for code in codes]
        permissions = [
            p
            for p in Permission.objects.select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        assert len(permissions) == len(wanted), f"missing permissions for {name}"
        group.permissions.add(*permissions)
