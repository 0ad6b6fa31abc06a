"""E-mail notifications (sent after commit), reminders and scheduled publication."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from reviews.models import ArticleWorkflow, Assignment, AuditEvent, State
from reviews.services.content import draft_update
from reviews.services.risk import approvals_set
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


def test_assignment_mails_the_reviewer_after_commit(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Starting a review mails each newly assigned reviewer, only once the change is committed."""
    article = make_article(author=author, citations=[make_reference()])
    transition_apply(article=article, user=author, action="submit")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition_apply(
            article=article,
            user=editor,
            action="start_review",
            params={"reviewers": [reviewer], "due_on": timezone.localdate() + timedelta(days=7)},
        )
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert article.title in mail.outbox[0].subject
    assert f"/workspace/articles/{article.slug}/" in mail.outbox[0].body


def test_a_decision_mails_authors_and_editors(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A request for changes reaches the article's authors and the editors, with the note."""
    article = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(
            article=article,
            user=reviewer,
            action="request_changes",
            password="correct horse battery staple",
            note="The dose in step 2 needs a source.",
            params={"content_hash": article.content_hash},
        )
    message = mail.outbox[-1]
    assert sorted(message.to) == sorted([author.email, editor.email])
    assert "changes requested" in message.subject.lower()
    assert "The dose in step 2 needs a source." in message.body


def test_a_voided_approval_mails_the_reviewers_who_signed(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Changing approved content tells each reviewer whose signature no longer counts."""
    article = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": "Typo fixed."},
            change_reason="Typo",
            change_weight="minor",
        )
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert "no longer applies" in mail.outbox[0].subject
    assert "version 2" in mail.outbox[0].body


def test_nothing_is_mailed_when_the_change_rolls_back(
    author: Any, editor: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A refused transition sends no mail."""
    article = make_article(author=author, citations=[make_reference()])
    transition_apply(article=article, user=author, action="submit")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        transition_apply(
            article=article, user=author, action="start_review", params={"reviewers": [reviewer]}
        )
    assert mail.outbox == []


def test_review_reminders_mail_due_rereviews_and_overdue_assignments(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Published articles due for re-review and overdue assignments are mailed; others are not."""
    due = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    ArticleWorkflow.objects.filter(article=due).update(
        next_review_due=timezone.localdate() - timedelta(days=1)
    )
    publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    late = make_article(author=author, citations=[make_reference()])
    transition_apply(article=late, user=author, action="submit")
    transition_apply(
        article=late,
        user=editor,
        action="start_review",
        params={"reviewers": [reviewer2], "due_on": timezone.localdate()},
    )
    # Two days pass: the round is late (a due date in the past is refused when assigning).
    Assignment.objects.filter(article=late).update(due_on=timezone.localdate() - timedelta(days=2))
    mail.outbox.clear()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("review_reminders", stdout=out)
    assert "Re-reviews due: 1; overdue assignments: 1" in out.getvalue()
    by_subject = {m.subject: m.to for m in mail.outbox}
    reviewer2_name = reviewer2.get_full_name() or reviewer2.get_username()
    assert by_subject == {
        f"[Re-review due] “{due.title}”": sorted([reviewer.email, editor.email]),
        f"[Review overdue] “{late.title}”": [reviewer2.email],
        f"[Review overdue] {reviewer2_name}: “{late.title}”": [editor.email],
    }


def test_an_overdue_review_reminds_only_the_reviewers_who_have_not_signed(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """One approval of two given: the late round reminds the other reviewer, not the signer."""
    article = make_article(author=author, citations=[make_reference()])
    approvals_set(article=article, user=editor, approvals=2, reason="Two signatures, please.")
    transition_apply(article=article, user=author, action="submit")
    transition_apply(
        article=article,
        user=editor,
        action="start_review",
        params={
            "reviewers": [reviewer, reviewer2],
            "due_on": timezone.localdate(),
        },
    )
    # A day passes: the round is late.
    Assignment.objects.filter(article=article).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    approve(Article.objects.get(pk=article.pk), reviewer)
    assert Article.objects.get(pk=article.pk).workflow.state == State.UNDER_REVIEW
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("review_reminders", stdout=StringIO())
    reviewer2_name = reviewer2.get_full_name() or reviewer2.get_username()
    assert sorted((m.subject, m.to) for m in mail.outbox) == [
        (f"[Review overdue] {reviewer2_name}: “{article.title}”", [editor.email]),
        (f"[Review overdue] “{article.title}”", [reviewer2.email]),
    ]


def test_publish_scheduled_publishes_when_due_and_refuses_a_changed_article(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """A due schedule publishes; one whose article changed since is refused and recorded, not forced."""
    ready = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(ready, reviewer)
    changed = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(changed, reviewer)
    for article in (ready, changed):
        transition_apply(
            article=article,
            user=editor,
            action="schedule_publish",
            params={"when": timezone.now() + timedelta(minutes=5)},
        )
    # The changed article's approval is voided by an edit before the schedule runs.
    later = Article.objects.get(pk=changed.pk)
    draft_update(
        article=later,
        user=author,
        base_version=later.version,
        fields={"summary": "New."},
        change_reason="Edit",
    )
    # Time passes: both schedules fall due (the edit cleared the changed one's; restore it to prove
    # the guards, not the clearing, stop it).
    ArticleWorkflow.objects.filter(article__in=[ready, changed]).update(
        publish_at=timezone.now() - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("publish_scheduled", stdout=out)
    assert "2 scheduled action(s) enqueued" in out.getvalue()
    assert Article.objects.get(pk=ready.pk).live_version is not None
    assert Article.objects.get(pk=changed.pk).live_version is None
    assert AuditEvent.objects.filter(article=changed, action="scheduled_publish_failed").exists()
    assert ArticleWorkflow.objects.get(article=changed).publish_at is None
    assert ArticleWorkflow.objects.get(article=ready).state == State.APPROVED
