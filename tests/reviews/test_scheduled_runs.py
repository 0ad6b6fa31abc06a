"""Scheduled work runs once however many machines trigger it and however many workers run it.

The triggers (`publish_scheduled`, `review_reminders`) may run on every machine; each due item is
a task that claims a `ScheduledRun` row in the transaction doing the work. The sequential tests
run anywhere; the two-worker test needs PostgreSQL (SQLite serialises writers).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from reviews.models import ArticleWorkflow, Assignment, AuditEvent, ScheduledRun
from reviews.services import schedule
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    role_groups_ensure,
    submit_and_review,
)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _due_work(*, author: Any, editor: Any, reviewer: Any, reviewer2: Any) -> dict[str, Article]:
    """One scheduled publication due, one re-review due, one review overdue."""
    scheduled = submit_and_review(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    approve(scheduled, reviewer)
    transition_apply(
        article=scheduled,
        user=editor,
        action="schedule_publish",
        params={"when": timezone.now() + timedelta(minutes=5)},
    )
    ArticleWorkflow.objects.filter(article=scheduled).update(
        publish_at=timezone.now() - timedelta(seconds=1)
    )
    rereview = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    ArticleWorkflow.objects.filter(article=rereview).update(
        next_review_due=timezone.localdate() - timedelta(days=1)
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
    DBTaskResult.objects.all().delete()
    return {"scheduled": scheduled, "rereview": rereview, "late": late}


def _trigger_on_two_machines() -> None:
    """Both machines' cron fire: every due item is enqueued twice."""
    for _machine in range(2):
        call_command("publish_scheduled", verbosity=0, stdout=StringIO())
        call_command("review_reminders", verbosity=0, stdout=StringIO())


def _assert_done_once(work: dict[str, Article]) -> None:
    subjects = Counter(m.subject for m in mail.outbox)
    title = {key: Article.objects.get(pk=a.pk).title for key, a in work.items()}
    assert subjects[f"[Re-review due] “{title['rereview']}”"] == 1
    assert subjects[f"[Review overdue] “{title['late']}”"] == 1
    assert subjects[f"[Published] “{title['scheduled']}”"] == 1
    assert max(subjects.values()) == 1, subjects
    assert AuditEvent.objects.filter(article=work["scheduled"], action="publish").count() == 1
    assert Article.objects.get(pk=work["scheduled"].pk).live_version_id is not None
    assert ScheduledRun.objects.count() == 3


def _worker(worker_id: str) -> db_worker.Worker:
    """What `manage.py db_worker --batch --interval=0` runs, without the signal handlers (which
    only the main thread may install)."""
    return db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


@pytest.fixture
def _role_groups(transactional_db: Any) -> None:
    """A transactional test starts from a flushed database: the role groups are made again."""
    role_groups_ensure()


@pytest.fixture(scope="module", autouse=True)
def _role_groups_after_module(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Leave the groups in place for any transactional test that runs after this module."""
    yield
    with django_db_blocker.unblock():
        role_groups_ensure()


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_work_enqueued_by_two_machines_is_done_once_by_the_worker(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two triggers, two worker runs: one publication, one mail of each kind."""
    work = _due_work(author=author, editor=editor, reviewer=reviewer, reviewer2=reviewer2)
    _trigger_on_two_machines()
    assert DBTaskResult.objects.count() == 6  # each due item enqueued by both machines
    # The worker closes stale connections between tasks; inside the test's transaction that
    # would close the test's own connection (PostgreSQL), so that courtesy is switched off here.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    for _run in range(2):
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval=0", verbosity=0
        )
    _assert_done_once(work)
    # A later trigger the same day finds nothing left to do.
    DBTaskResult.objects.all().delete()
    _trigger_on_two_machines()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_reminder_is_mailed_once_a_day_and_again_the_next_day(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The claim's key is the day: the same day is refused, the next day mails again."""
    article = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    today = timezone.localdate()
    ArticleWorkflow.objects.filter(article=article).update(next_review_due=today)
    mail.outbox.clear()
    send = schedule.rereview_reminder_send
    assert send(article_id=article.pk, day=today, horizon=today) is True
    assert send(article_id=article.pk, day=today, horizon=today) is False
    assert len(mail.outbox) == 1
    tomorrow = today + timedelta(days=1)
    assert send(article_id=article.pk, day=tomorrow, horizon=tomorrow) is True
    assert len(mail.outbox) == 2


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_a_reminder_that_crashes_leaves_no_claim_and_is_sent_by_the_next_trigger(
    author: Any, editor: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim commits with the work: a crash before the mail is queued undoes the claim too."""
    article = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    today = timezone.localdate()
    ArticleWorkflow.objects.filter(article=article).update(next_review_due=today)
    DBTaskResult.objects.all().delete()

    def crash(**kwargs: Any) -> None:
        raise ConnectionError("worker lost its database mid-task")

    with monkeypatch.context() as patched:
        patched.setattr(schedule.notifications, "notify_review_due", crash)
        with pytest.raises(ConnectionError):
            schedule.rereview_reminder_send(article_id=article.pk, day=today, horizon=today)
    assert not ScheduledRun.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert schedule.review_reminders_enqueue(days_ahead=0, today=today)["rereviews"] == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL row locks"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_role_groups")
@override_settings(TASKS=DATABASE_TASKS)
def test_two_workers_running_at_once_publish_and_mail_exactly_once(
    author: Any, editor: Any, reviewer: Any, reviewer2: Any
) -> None:
    """Two `db_worker --batch` workers on two connections share the duplicated queue."""
    work = _due_work(author=author, editor=editor, reviewer=reviewer, reviewer2=reviewer2)
    _trigger_on_two_machines()
    assert DBTaskResult.objects.count() == 6
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(worker_id: str) -> None:
        try:
            barrier.wait()
            _worker(worker_id).run()
        except BaseException as error:  # judged by the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and not any(t.is_alive() for t in threads), errors
    _worker("sweep").run()  # mail enqueued after both workers last looked
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    _assert_done_once(work)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent claims need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_role_groups")
def test_two_tasks_claiming_the_same_reminder_at_once_mail_it_once(
    author: Any, editor: Any, reviewer: Any
) -> None:
    """The unique claim, not luck: two threads released together, ten times over."""
    article = publish_approved(
        make_article(author=author, citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    ArticleWorkflow.objects.filter(article=article).update(next_review_due=timezone.localdate())
    mail.outbox.clear()
    for run_number in range(10):
        day = timezone.localdate() + timedelta(days=run_number)
        barrier = threading.Barrier(2)
        outcomes: list[bool | BaseException] = []

        def claim(day: Any = day, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                outcomes.append(
                    schedule.rereview_reminder_send(article_id=article.pk, day=day, horizon=day)
                )
            except BaseException as error:
                outcomes.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes, key=str) == [False, True], outcomes
    assert len(mail.outbox) == 10
