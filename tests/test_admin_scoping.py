"""The admin shows a draft only to the people working on it: its authors, its reviewers of the
current round without a conflict, and editors; view-only pages open; editors triage reports."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.roles import Role
from articles.models import ProblemReport
from reviews.models import Assignment, AuditEvent
from tests.factories import make_article, make_user, submit_and_review

pytestmark = pytest.mark.django_db


def staff(role: Role, username: str) -> Any:
    return make_user(role, username=username, is_staff=True)


def test_another_author_sees_no_draft_of_someone_else_in_the_admin(
    client: Client, author: Any
) -> None:
    """List, change page, history list and a version page all hide another author's draft."""
    secret = make_article(author=author, title="Unpublished secret finding")
    client.force_login(staff(Role.AUTHOR, "other-author"))
    listing = client.get("/admin/articles/article/")
    assert listing.status_code == 200
    assert "Unpublished secret finding" not in listing.content.decode()
    base = f"/admin/articles/article/{secret.pk}"
    assert client.get(f"{base}/change/").status_code in (302, 403, 404)
    assert client.get(f"{base}/history/").status_code in (403, 404)
    version = secret.history.get()
    response = client.get(f"{base}/history/{version.history_id}/")
    assert response.status_code in (403, 404)
    assert "Unpublished secret finding" not in response.content.decode()


def test_an_author_sees_their_own_draft_and_its_history_in_the_admin(
    client: Client, author: Any
) -> None:
    author.is_staff = True
    author.save()
    mine = make_article(author=author, title="My own draft")
    client.force_login(author)
    assert "My own draft" in client.get("/admin/articles/article/").content.decode()
    assert client.get(f"/admin/articles/article/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/articles/article/{mine.pk}/history/").status_code == 200


def test_an_unassigned_or_conflicted_reviewer_sees_no_draft_in_the_admin(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """Only the current round's reviewers without a declared conflict see the article."""
    assigned = staff(Role.REVIEWER, "assigned")
    conflicted = staff(Role.REVIEWER, "conflicted")
    outsider = staff(Role.REVIEWER, "outsider")
    article = make_article(author=author, title="Under review draft")
    submit_and_review(article, author=author, editor=editor, reviewers=[assigned, conflicted])
    conflicted.reviewer_profile.conflicted_articles.add(article)
    for user, expected in ((assigned, True), (conflicted, False), (outsider, False)):
        client.force_login(user)
        listing = client.get("/admin/articles/article/").content.decode()
        assert ("Under review draft" in listing) is expected, user.username
        assignments = client.get("/admin/reviews/assignment/").content.decode()
        assert ("Under review draft" in assignments) is expected, user.username
        change = client.get(f"/admin/articles/article/{article.pk}/change/")
        assert (change.status_code == 200) is expected, user.username


def test_a_view_only_article_page_opens_without_a_server_error(
    client: Client, author: Any, editor: Any
) -> None:
    """A reviewer holds view_article only: the page is read-only, not a 500 (KeyError 'slug')."""
    reviewer = staff(Role.REVIEWER, "viewer")
    article = make_article(author=author, title="Read only please")
    submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    client.force_login(reviewer)
    response = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert response.status_code == 200
    assert "Read only please" in response.content.decode()


def test_rows_of_an_invisible_article_are_hidden_in_every_related_admin_list(
    client: Client, author: Any, editor: Any
) -> None:
    """Workflow rows, assignments and audit events of another's draft are not listed."""
    reviewer = staff(Role.REVIEWER, "rev-a")
    outsider = staff(Role.REVIEWER, "rev-b")
    article = make_article(author=author, title="Hidden rows article")
    submit_and_review(article, author=author, editor=editor, reviewers=[reviewer])
    event = AuditEvent.objects.filter(article=article).first()
    assignment = Assignment.objects.get(article=article)
    outsider.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_auditevent", "view_articleworkflow"])
    )
    client.force_login(outsider)
    assert "Hidden rows article" not in client.get("/admin/reviews/auditevent/").content.decode()
    assert client.get(f"/admin/reviews/auditevent/{event.pk}/change/").status_code in (302, 403)
    assert client.get(f"/admin/reviews/assignment/{assignment.pk}/change/").status_code in (
        302,
        403,
    )


def test_editors_triage_problem_reports_in_the_admin(
    client: Client, author: Any, editor: Any
) -> None:
    """An editor lists reports and changes a report's status; the report text stays as sent."""
    article = make_article(author=author)
    report = ProblemReport.objects.create(
        article=article, version=1, audience="patient", kind="error", message="Dose looks wrong."
    )
    client.force_login(editor)
    url = f"/admin/articles/problemreport/{report.pk}/change/"
    assert url in client.get("/admin/articles/problemreport/").content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"status": ProblemReport.Status.CLOSED})
    assert response.status_code == 302, response.content.decode()[:1500]
    report.refresh_from_db()
    assert (report.status, report.message) == (ProblemReport.Status.CLOSED, "Dose looks wrong.")
