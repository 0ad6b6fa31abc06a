"""Mail leaves through a task: the database backend and its worker, retries, visible failure,
and a quiet demo loader."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from reviews.mail import deliver, retry_delay
from reviews.services.transitions import transition_apply
from tests.factories import logged_in, make_article, make_reference

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _run_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """`manage.py db_worker --batch`: run every ready task, then exit.

    The worker closes stale connections between tasks; inside the test's transaction that would
    close the test's own connection (PostgreSQL), so that one courtesy is switched off here.
    """
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval=0", verbosity=0
    )


def _failing_send(calls: list[int]) -> Any:
    def send(self: EmailMessage, fail_silently: bool = False) -> int:
        calls.append(1)
        raise ConnectionRefusedError("mail server down")

    return send


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_a_submission_queues_a_task_row_that_the_db_worker_sends(
    author: Any,
    editor: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The request only writes a task row; `manage.py db_worker` sends the mail."""
    article = make_article(author=author, citations=[make_reference()])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(article=article, user=author, action="submit")
    assert mail.outbox == []
    row = DBTaskResult.objects.get()
    assert row.task_path == deliver.module_path
    assert row.args_kwargs["kwargs"]["to"] == [editor.email]
    _run_worker(monkeypatch)
    assert [m.subject for m in mail.outbox] == [f"[Submitted] “{article.title}”"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS, EDITORIAL_MAIL_ATTEMPTS=3, EDITORIAL_MAIL_RETRY_SECONDS=0)
def test_a_failing_send_is_retried_then_shown_to_editors_as_undelivered(
    author: Any,
    editor: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Three tries in all, through the worker; only the last fails, and the dashboard says so."""
    article = make_article(author=author, citations=[make_reference()])
    calls: list[int] = []
    monkeypatch.setattr(EmailMessage, "send", _failing_send(calls))
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(article=article, user=author, action="submit")
    _run_worker(monkeypatch)
    assert len(calls) == 3
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "SUCCESSFUL", "SUCCESSFUL"]
    page = logged_in(editor).get("/workspace/").content.decode()
    assert "1 notification mail(s) could not be sent" in page
    assert f"[Submitted] “{article.title}”" in page
    assert "ConnectionRefusedError" in page


@pytest.mark.django_db
@override_settings(EDITORIAL_MAIL_ATTEMPTS=4)
def test_a_send_that_fails_once_is_delivered_by_the_retry(
    author: Any, editor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passing outage costs one try, not the mail."""
    calls: list[int] = []
    real_send = EmailMessage.send

    def flaky(self: EmailMessage, fail_silently: bool = False) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("mail server slow")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    deliver.enqueue(subject="Hello", body="Body", to=[editor.email])
    assert len(calls) == 2
    assert [m.subject for m in mail.outbox] == ["Hello"]


@override_settings(EDITORIAL_MAIL_RETRY_SECONDS=60)
def test_the_retry_delay_doubles_after_each_failed_try() -> None:
    """Back-off: one minute, two, four."""
    assert [retry_delay(attempt=n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_load_demo_sends_and_prints_no_mail_unless_asked(capsys: pytest.CaptureFixture) -> None:
    """The demo's mail is kept back: nothing printed, nothing sent; `--show-mail` prints it."""
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Subject:" not in out.getvalue() + capsys.readouterr().out
    assert mail.outbox == []
    assert not DBTaskResult.objects.exists()
    assert "Demo ready" in out.getvalue()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_load_demo_show_mail_prints_the_demos_mail() -> None:
    """With `--show-mail` the command prints each mail it kept back, and still sends none."""
    out = StringIO()
    call_command("load_demo", "--show-mail", stdout=out)
    assert "Subject: [Review] Please review" in out.getvalue()
    assert mail.outbox == []
