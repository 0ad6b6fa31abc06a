"""Notification mail leaves through a background task, once the change that caused it commits.

A request only writes a task row (django.tasks, the database backend of django-tasks-db); the
worker (`manage.py db_worker`) sends it. So a slow or unreachable mail server neither delays nor
breaks an editorial action, a rolled-back change tells nobody anything, and a send that fails is
tried again with a growing delay. The last failure stays as a failed task, which editors see on
their workspace dashboard (`reviews.selectors.dashboard`) and administrators in the admin.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import TaskContext, task, task_backends
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldMail:
    subject: str
    body: str
    to: list[str]


# Set inside `mail_held()`: mail goes to this list instead of the queue.
_held: ContextVar[list[HeldMail] | None] = ContextVar("held_mail", default=None)
# Set inside `mail_with_the_transaction()`: mail is enqueued at once, inside the transaction.
_with_transaction: ContextVar[bool] = ContextVar("mail_with_the_transaction", default=False)


@contextmanager
def mail_held() -> Iterator[list[HeldMail]]:
    """Keep the mail composed inside the block instead of sending it; yield what was kept.

    For loading the demo: its people and addresses are invented, so its mail goes nowhere
    (and `load_demo --show-mail` prints what it would have been).
    """
    held: list[HeldMail] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


@contextmanager
def mail_with_the_transaction() -> Iterator[None]:
    """Enqueue the mail composed inside the block at once, as part of the current transaction.

    For scheduled work that claims a row (reviews.services.schedule): with the database backend
    the mail's task row commits together with the claim or not at all, so no crash between the
    commit and an after-commit hook can lose a reminder that the claim says was sent.
    """
    token = _with_transaction.set(True)
    try:
        yield
    finally:
        _with_transaction.reset(token)


def retry_delay(*, attempt: int) -> timedelta:
    """How long to wait before the try after `attempt`: the base delay, doubled each time."""
    return timedelta(seconds=settings.EDITORIAL_MAIL_RETRY_SECONDS * 2 ** (attempt - 1))


@task(takes_context=True)
def deliver(
    context: TaskContext, *, subject: str, body: str, to: list[str], attempt: int = 1
) -> dict[str, Any]:
    """Send one notification; on failure enqueue the next try, or fail for good after the last.

    Each try is its own task row, so the back-off is the backend's `run_after` and a worker is
    never held asleep. Only the last try raises: the failed rows are exactly the mail that was
    never delivered, which is what the editors' dashboard lists.
    """
    message = EmailMessage(subject=subject, body=body, to=to)
    try:
        message.send()
    # Mail servers fail in many ways (SMTPException, OSError, timeouts, a backend's own errors);
    # whichever it is, the answer is to try again later.
    except Exception as error:
        if attempt >= settings.EDITORIAL_MAIL_ATTEMPTS:
            raise
        backend_alias = context.task_result.backend
        retry_at = timezone.now() + retry_delay(attempt=attempt)
        again = deliver.using(backend=backend_alias)
        # A backend that cannot defer (the immediate one, in tests) retries at once.
        if task_backends[backend_alias].supports_defer:
            again = again.using(run_after=retry_at)
        logger.warning(
            "Mail %r to %s failed (try %d of %d): %s",
            subject,
            ", ".join(to),
            attempt,
            settings.EDITORIAL_MAIL_ATTEMPTS,
            error,
        )
        again.enqueue(subject=subject, body=body, to=to, attempt=attempt + 1)
        return {"sent": False, "attempt": attempt, "retry_at": retry_at.isoformat()}
    return {"sent": True, "attempt": attempt}


def deliver_after_commit(*, subject: str, body: str, to: list[str]) -> None:
    """Enqueue the sending once the current transaction commits (at once outside one)."""
    # A header is one line: whatever a title holds, the subject cannot break the message.
    subject = " ".join(subject.split())
    held = _held.get()
    if held is not None:
        held.append(HeldMail(subject=subject, body=body, to=to))
        return
    if _with_transaction.get():
        deliver.enqueue(subject=subject, body=body, to=to)
        return
    transaction.on_commit(lambda: deliver.enqueue(subject=subject, body=body, to=to))
