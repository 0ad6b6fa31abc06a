"""The admin's article list: a state column, filters by state, audience texts and what is overdue,
still scoped to the articles the user may see, in the same number of queries however many."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from reviews.models import ArticleWorkflow, Assignment
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_user,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db

LIST = "/admin/articles/article/"
YESTERDAY = timezone.localdate() - timedelta(days=1)


def titles(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {str(article.title) for article in response.context["cl"].result_list}


@pytest.fixture
def shelf(author: Any, editor: Any, reviewer: Any) -> dict[str, Any]:
    """A submitted article with every audience, a draft missing the clinician text, one under
    review with a late review, and a published one past its re-review date."""
    texts = {key: f"## About\n\nFor the {key}." for key in ("patient", "caregiver", "student")}
    complete = make_article(
        author=author, title="All four audiences", texts={**texts, "clinician": "## C\n\nC."}
    )
    transition_apply(article=complete, user=author, action="submit")
    make_article(author=author, title="No clinician text", texts=texts)
    late = submit_and_review(
        make_article(author=author, title="Late review"),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    Assignment.objects.filter(article=late).update(due_on=YESTERDAY)
    live = publish_approved(
        make_article(author=author, title="Re-review passed"),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    ArticleWorkflow.objects.filter(article=live).update(next_review_due=YESTERDAY)
    return {"complete": complete, "late": late, "live": live}


def test_the_list_shows_each_articles_state_audiences_and_what_is_overdue(
    editor: Any, shelf: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    for shown in (
        'column-state">',
        "Under Review",
        "Submitted",
        "Draft",
        "Patient, Caregiver, Student (missing required: Clinician)",
        "a review is past its due date",
        f"re-review due {YESTERDAY:%d %b %Y}",
    ):
        assert shown in html, shown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workflow__state__exact=submitted", {"All four audiences"}),
        ("workflow__state__exact=under_review", {"Late review"}),
        ("coverage=missing_required", {"No clinician text"}),
        ("coverage=complete", {"All four audiences"}),
        ("coverage=has_caregiver", {"All four audiences", "No clinician text"}),
        ("coverage=no_student", {"Late review", "Re-review passed"}),
        ("overdue=review", {"Late review"}),
        ("overdue=rereview", {"Re-review passed"}),
        ("overdue=any", {"Late review", "Re-review passed"}),
    ],
)
def test_each_filter_lists_exactly_the_articles_it_names(
    editor: Any, shelf: dict[str, Any], query: str, expected: set[str]
) -> None:
    client = Client()
    client.force_login(editor)
    assert titles(client, query) == expected


def test_a_signed_review_is_no_longer_overdue(
    editor: Any, reviewer: Any, shelf: dict[str, Any]
) -> None:
    """Late means still to be given: the dashboard's definition of an open review."""
    approve(shelf["late"], reviewer)
    client = Client()
    client.force_login(editor)
    assert titles(client, "overdue=review") == set()


def test_filters_stay_within_the_articles_the_user_may_see(
    author: Any, shelf: dict[str, Any]
) -> None:
    """Their author finds them through the filters; another author finds none of them."""
    author.is_staff = True
    author.save()
    client = Client()
    client.force_login(author)
    assert titles(client, "overdue=any") == {"Late review", "Re-review passed"}
    other = make_user(Role.AUTHOR, username="other-staff", is_staff=True)
    client.force_login(other)
    for query in ("", "overdue=any", "coverage=missing_required", "coverage=has_patient"):
        assert titles(client, query) == set(), query


@pytest.mark.parametrize("query", ["", "overdue=any", "coverage=missing_required"])
def test_the_list_costs_the_same_queries_for_more_articles(
    editor: Any, author: Any, query: str, django_assert_num_queries: Any
) -> None:
    make_article(author=author, title="First")
    client = Client()
    client.force_login(editor)
    client.get(f"{LIST}?{query}")  # warm the per-process caches (content types, glossary)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{LIST}?{query}")
    for n in range(6):
        make_article(author=author, title=f"More {n}", texts={"patient": "## P\n\nP."})
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(f"{LIST}?{query}")
