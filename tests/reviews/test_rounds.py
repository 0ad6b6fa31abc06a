"""Review rounds: a resubmission goes back to the round's reviewers, and the dashboards agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from reviews.forms import ActionForm
from reviews.models import Assignment, State
from reviews.services.conflicts import conflicts_set
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from reviews.workflow import TRANSITIONS
from tests.factories import (
    PASSWORD,
    approve,
    logged_in,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def _sent_back(author: Any, editor: Any, reviewers: list[Any], **fields: Any) -> Article:
    """An article whose first reviewer requested changes, revised by the author."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()], **fields),
        author=author,
        editor=editor,
        reviewers=reviewers,
    )
    transition_apply(
        article=article,
        user=reviewers[0],
        action="request_changes",
        password=PASSWORD,
        note="Cite the dose for children.",
        params={"content_hash": article.content_hash},
    )
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"summary": "With the dose cited."},
        change_reason="Answer the review",
    )
    return Article.objects.get(pk=article.pk)


def _resubmit(article: Article, author: Any, capture: Any) -> Article:
    mail.outbox.clear()
    with capture(execute=True):
        transition_apply(article=article, user=author, action="submit")
    return Article.objects.get(pk=article.pk)


def test_a_resubmission_goes_back_under_review_to_the_rounds_reviewers_in_a_new_round(
    author: Any,
    editor: Any,
    reviewer: Any,
    reviewer2: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Same reviewers, next round, new due date, mailed the diff; approval needs no editor."""
    settings.EDITORIAL_REVIEW_DAYS = 10
    article = _sent_back(author, editor, [reviewer, reviewer2])
    cycle = article.workflow.cycle
    article = _resubmit(article, author, django_capture_on_commit_callbacks)

    assert article.workflow.state == State.UNDER_REVIEW
    assert article.workflow.cycle == cycle + 1
    carried = Assignment.objects.filter(article=article, cycle=cycle + 1).order_by("pk")
    assert [(a.reviewer, a.assigned_by, a.due_on) for a in carried] == [
        (r, editor, timezone.localdate() + timedelta(days=10)) for r in (reviewer, reviewer2)
    ]
    new_version = [m for m in mail.outbox if "New version" in m.subject]
    assert [sorted(m.to) for m in new_version] == [sorted([reviewer.email, reviewer2.email])]
    assert "/diff/?from=" in new_version[0].body
    approve(article, reviewer)
    assert Article.objects.get(pk=article.pk).workflow.state == State.APPROVED


def test_a_reviewer_who_declared_a_conflict_meanwhile_is_not_carried_over(
    author: Any,
    editor: Any,
    reviewer: Any,
    reviewer2: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The round continues without them; they are not mailed."""
    article = _sent_back(author, editor, [reviewer, reviewer2])
    conflicts_set(profile=reviewer2.reviewer_profile, articles=[article], user=editor)
    article = _resubmit(article, author, django_capture_on_commit_callbacks)
    assert article.workflow.state == State.UNDER_REVIEW
    round_ = Assignment.objects.filter(article=article, cycle=article.workflow.cycle)
    assert [a.reviewer for a in round_] == [reviewer]
    assert all(reviewer2.email not in m.to for m in mail.outbox)


def test_a_resubmission_nobody_can_review_waits_for_the_editors(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """With its only reviewer conflicted, it is submitted and counted as needing reviewers."""
    article = _sent_back(author, editor, [reviewer], title="Orphaned?")
    conflicts_set(profile=reviewer.reviewer_profile, articles=[article], user=editor)
    article = _resubmit(article, author, django_capture_on_commit_callbacks)
    assert article.workflow.state == State.SUBMITTED
    assert not Assignment.objects.filter(article=article, cycle=article.workflow.cycle).exists()
    page = logged_in(editor).get("/workspace/").context
    assert [row.article.title for row in page["unassigned"]] == ["Orphaned?"]


def test_the_assign_form_is_filled_with_the_current_round(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """The editor sees the round's reviewers ticked and its due date, not an empty form."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    due = timezone.localdate() + timedelta(days=5)
    Assignment.objects.filter(article=article).update(due_on=due)
    response = logged_in(editor).get(f"/workspace/articles/{article.slug}/actions/start_review/")
    form = response.context["form"]
    assert form.initial["reviewers"] == [reviewer.pk]
    assert form.initial["due_on"] == due
    assert response.status_code == 200
    assert reviewer2.pk not in form.initial["reviewers"]


def test_changing_the_reviewers_takes_the_unticked_off_the_round_and_moves_the_due_date(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """Re-assigning replaces the round's reviewers and applies the new due date to those kept."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    due = timezone.localdate() + timedelta(days=3)
    transition_apply(
        article=article,
        user=editor,
        action="start_review",
        params={"reviewers": [reviewer2], "due_on": due},
    )
    round_ = Assignment.objects.filter(article=article, cycle=article.workflow.cycle)
    assert [(a.reviewer, a.due_on) for a in round_] == [(reviewer2, due)]


def test_the_resubmission_journey_over_http(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Author resubmits; it is in the reviewer's "Assigned to me", mailed; the reviewer approves."""
    article = _sent_back(author, editor, [reviewer], title="Dosing in children?")
    reviewer_client = logged_in(reviewer)
    assert "Dosing in children?" not in reviewer_client.get("/workspace/").content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(author).post(
            f"/workspace/articles/{article.slug}/actions/submit/", {"note": ""}
        )
    assert response.status_code == 302
    assert any(reviewer.email in m.to and "New version" in m.subject for m in mail.outbox)
    page = reviewer_client.get("/workspace/")
    assert [a.article.title for a in page.context["assigned"]] == ["Dosing in children?"]
    article = Article.objects.get(pk=article.pk)
    with django_capture_on_commit_callbacks(execute=True):  # the dashboard's kept lists move
        response = reviewer_client.post(
            f"/workspace/articles/{article.slug}/actions/approve/",
            {"password": PASSWORD, "content_hash": article.content_hash, "note": ""},
        )
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).workflow.state == State.APPROVED
    # Signed: nothing left for the reviewer to do.
    assert list(reviewer_client.get("/workspace/").context["assigned"]) == []


class TestDashboardsAgree:
    def test_a_signed_assignment_leaves_assigned_to_me(
        self, author: Any, editor: Any, reviewer: Any, reviewer2: Any
    ) -> None:
        """A reviewer who approved while a second approval is awaited has nothing left to do."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer, reviewer2],
        )
        article.workflow.required_approvals = 2
        article.workflow.save(update_fields=["required_approvals"])
        approve(article, reviewer)
        assert list(logged_in(reviewer).get("/workspace/").context["assigned"]) == []
        assert len(logged_in(reviewer2).get("/workspace/").context["assigned"]) == 1

    def test_the_editor_sees_overdue_reviews_and_each_reviewers_workload(
        self, author: Any, editor: Any, reviewer: Any, reviewer2: Any
    ) -> None:
        """Reviews in progress past their due date, and open reviews counted per reviewer."""
        late = timezone.localdate() - timedelta(days=2)
        for title in ("Late one?", "Late two?"):
            submit_and_review(
                make_article(author=author, title=title, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )
        Assignment.objects.update(due_on=late)
        submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer2],
        )
        context = logged_in(editor).get("/workspace/").context
        assert sorted(a.article.title for a in context["late_reviews"]) == [
            "Late one?",
            "Late two?",
        ]
        workload = {
            row["reviewer_id"]: (row["open"], row["overdue"]) for row in context["workload"]
        }
        assert workload == {reviewer.pk: (2, 2), reviewer2.pk: (1, 0)}

    def test_the_author_sees_published_articles_reviewers_due_dates_and_what_was_asked(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        publish_approved(
            make_article(author=author, title="Live?", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        _sent_back(author, editor, [reviewer], title="Sent back?")
        html = logged_in(author).get("/workspace/").content.decode()
        published = html.split("<h3>Published</h3>")[1]
        assert "Live?" in published
        assert "Cite the dose for children." in html.split("<h3>Drafts</h3>")[0]
        assert reviewer.reviewer_profile.signature_name in html

    def test_a_superuser_without_a_role_gets_the_editors_view(self, db: Any) -> None:
        admin = make_user(is_superuser=True, is_staff=True)
        response = logged_in(admin).get("/workspace/")
        assert response.context["is_editor"]
        assert "Ask an administrator" not in response.content.decode()

    def test_kept_counts_and_lists_follow_a_signature_and_an_edit_at_once(
        self, author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        """The reviewer's count and list are kept in the cache, yet a sign-off empties them and
        an edit that voids it brings the review back, on the very next request."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        client = logged_in(reviewer)
        page = client.get("/workspace/").context["assigned"]
        assert [a.article_id for a in page] == [article.pk] and page.paginator.count == 1
        with django_capture_on_commit_callbacks(execute=True):
            approve(article, reviewer)
        page = client.get("/workspace/").context["assigned"]
        assert list(page) == [] and page.paginator.count == 0
        article = Article.objects.get(pk=article.pk)
        with django_capture_on_commit_callbacks(execute=True):
            draft_update(
                article=article,
                user=author,
                base_version=article.version,
                fields={"summary": "A later correction."},
                change_reason="Correct the summary",
            )
        assert Article.objects.get(pk=article.pk).workflow.state == State.UNDER_REVIEW
        page = client.get("/workspace/").context["assigned"]
        assert [a.article_id for a in page] == [article.pk] and page.paginator.count == 1

    def test_kept_editor_counts_follow_a_submission_at_once(
        self, author: Any, editor: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        """The queue's counts are kept in the cache; a submission moves them on the next request."""
        article = make_article(author=author, citations=[make_reference()])
        client = logged_in(editor)
        before = dict(client.get("/workspace/").context["state_counts"])
        with django_capture_on_commit_callbacks(execute=True):
            transition_apply(article=article, user=author, action="submit")
        response = client.get("/workspace/")
        after = dict(response.context["state_counts"])
        assert after[State.SUBMITTED] == before[State.SUBMITTED] + 1
        assert after[State.DRAFT] == before[State.DRAFT] - 1
        assert [row.article_id for row in response.context["unassigned"]] == [article.pk]

    @pytest.mark.parametrize("n", [2, 20])
    def test_dashboard_queries_do_not_grow_with_the_lists(
        self,
        n: int,
        author: Any,
        editor: Any,
        reviewer: Any,
    ) -> None:
        """Every list filled (due dates, reviewers, requests, published): same cost for 2 or 20,
        both when a section is rendered (its counts kept) and when its rendering is kept too."""
        for _ in range(n):
            _sent_back(author, editor, [reviewer])
            submit_and_review(
                make_article(author=author, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )
            publish_approved(
                make_article(author=author, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )
        Assignment.objects.update(due_on=timezone.localdate() - timedelta(days=1))
        rendered, kept = {}, {}
        for name, user in (("author", author), ("editor", editor), ("reviewer", reviewer)):
            client = logged_in(user)
            url = "/workspace/?state=under_review"
            client.get(url)
            caches["fragments"].clear()  # the sections rendered again, from the kept counts
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            rendered[name] = len(queries)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            kept[name] = len(queries)
        assert rendered == {"author": 12, "editor": 7, "reviewer": 3}
        # The session, the user, their groups; the editor's undelivered mail is always live.
        assert kept == {"author": 3, "editor": 4, "reviewer": 3}


def test_reopening_assign_reviewers_renders_the_due_date_as_an_iso_date(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The date input gets "2026-12-16", the only form it reads (not the locale's 16/12/2026,
    which it drops, showing an empty field), and may not go before today."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    due = timezone.localdate() + timedelta(days=5)
    Assignment.objects.filter(article=article).update(due_on=due)
    response = logged_in(editor).get(f"/workspace/articles/{article.slug}/actions/start_review/")
    html = response.content.decode()
    assert f'value="{due:%Y-%m-%d}"' in html
    assert f'min="{timezone.localdate():%Y-%m-%d}"' in html
    assert f"{due:%d/%m/%Y}" not in html


def test_reopening_assign_reviewers_of_a_late_round_leaves_the_due_date_to_choose(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A due date already passed is not offered again (it would be refused)."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    Assignment.objects.filter(article=article).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    response = logged_in(editor).get(f"/workspace/articles/{article.slug}/actions/start_review/")
    assert "due_on" not in response.context["form"].initial


def test_a_scheduling_form_renders_its_time_for_a_datetime_local_input() -> None:
    """A time the scheduling form starts with is written "2026-12-16T09:30", the form
    <input type=datetime-local> reads (not the locale's date and time, which it drops)."""
    when = datetime(2026, 12, 16, 9, 30, tzinfo=UTC)
    form = ActionForm(transition=TRANSITIONS["schedule_publish"], initial={"when": when})
    assert 'value="2026-12-16T09:30"' in str(form["when"])


def test_assigning_reviewers_refuses_a_due_date_in_the_past(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A due date before today is refused, saying which and why; no assignment is made."""
    article = make_article(author=author, citations=[make_reference()])
    transition_apply(article=article, user=author, action="submit")
    past = timezone.localdate() - timedelta(days=3)
    response = logged_in(editor).post(
        f"/workspace/articles/{article.slug}/actions/start_review/",
        {"reviewers": [reviewer.pk], "due_on": past.isoformat()},
    )
    assert response.status_code == 422
    assert (
        f"The due date {past:%d %B %Y} is in the past; choose today "
        f"({timezone.localdate():%d %B %Y}) or a later date."
    ) in response.content.decode()
    assert not Assignment.objects.filter(article=article).exists()
    assert Article.objects.get(pk=article.pk).workflow.state == State.SUBMITTED
