"""The scheduled jobs: publication and removal that fall due, and re-review reminders.

Built for any number of machines. A trigger (`publish_scheduled`, `review_reminders`, run by cron
on every machine) only enqueues one task per due item; the task claims the item by inserting a
`ScheduledRun` row whose unique key is (kind, article or assignment, due time or day), in the
same transaction as the work. However many triggers enqueue the same item and however many
workers run it, the work is done once; a crash rolls back the claim with the work, and the next
trigger enqueues it again.

A scheduled action is taken through `transition_apply` as the editor who scheduled it, so the
guards run again at the time it is due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.tasks import task
from django.utils import timezone

from articles.models import Article
from reviews import notifications
from reviews.mail import mail_with_the_transaction
from reviews.models import ArticleWorkflow, Assignment, Meaning, ScheduledRun, SignOff, State
from reviews.selectors.signing import open_assignments
from reviews.services.errors import WorkflowError
from reviews.services.records import audit_append
from reviews.services.transitions import transition_apply

Kind = ScheduledRun.Kind


def _claim(*, kind: str, article_id: int, due: datetime, assignment_id: int | None = None) -> bool:
    """Insert the claim row; False when another task already did (or is doing) this work.

    Inside a savepoint, so a duplicate key leaves the caller's transaction usable. On PostgreSQL
    a second insert of the same key waits for the first transaction: it fails if that one
    commits and succeeds if it rolls back, so the work is neither doubled nor lost.
    """
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(
                kind=kind, article_id=article_id, assignment_id=assignment_id, due=due
            )
    except IntegrityError:
        return False
    return True


def _day_start(day: date) -> datetime:
    """A reminder's key is its day: the start of that day in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- scheduled publication and removal -----------------------------------------------------------


def scheduled_actions_enqueue(*, now: datetime | None = None) -> list[str]:
    """Enqueue one task per publication or removal due at `now`; return what was enqueued.

    Reads the due list in one query. An article due for both is enqueued for its publication
    first, as before: its removal is enqueued by the next trigger.
    """
    now = now or timezone.now()
    due = ArticleWorkflow.objects.filter(
        models.Q(publish_at__lte=now) | models.Q(unpublish_at__lte=now)
    ).values_list("article_id", "article__slug", "publish_at", "unpublish_at")
    enqueued = []
    for article_id, slug, publish_at, unpublish_at in due:
        action, when = (
            ("publish", publish_at)
            if publish_at and publish_at <= now
            else ("unpublish", unpublish_at)
        )
        scheduled_action.enqueue(article_id=article_id, action=action, due=when.isoformat())
        enqueued.append(f"{slug}: {action} due {when:%Y-%m-%d %H:%M} enqueued")
    return enqueued


@task
def scheduled_action(*, article_id: int, action: str, due: str) -> str:
    """The task of one scheduled publication or removal (see scheduled_action_apply)."""
    return scheduled_action_apply(
        article_id=article_id, action=action, due=datetime.fromisoformat(due)
    )


@transaction.atomic
def scheduled_action_apply(*, article_id: int, action: str, due: datetime) -> str:
    """Publish or unpublish as scheduled for `due`, once, deciding from the locked rows.

    A schedule cancelled or moved since it was enqueued is skipped; one already claimed is
    skipped; transition_apply runs the guards again, so a schedule whose article changed since
    is refused and recorded (the refusal is the outcome, claimed like a success), not forced.
    """
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        return f"article {article_id}: {action} skipped: the article no longer exists"
    workflow = (
        ArticleWorkflow.objects.select_for_update(of=("self",))
        .select_related("scheduled_by")
        .get(article=article)
    )
    field = "publish_at" if action == Kind.PUBLISH else "unpublish_at"
    if getattr(workflow, field) != due:
        return f"{article.slug}: {action} skipped: cancelled or moved"
    if not _claim(kind=action, article_id=article_id, due=due):
        return f"{article.slug}: {action} skipped: already done"
    note = "Scheduled." if action == Kind.PUBLISH else "Scheduled removal."
    try:
        with transaction.atomic(), mail_with_the_transaction():
            transition_apply(article=article, user=workflow.scheduled_by, action=action, note=note)
    except (WorkflowError, PermissionDenied) as error:
        setattr(workflow, field, None)
        workflow.save(update_fields=[field])
        audit_append(
            article=article,
            actor=workflow.scheduled_by,
            action=f"scheduled_{action}_failed",
            from_state=workflow.state,
            to_state=workflow.state,
            note=str(error),
        )
        return f"{article.slug}: {action} refused: {error}"
    return f"{article.slug}: {action} done"


# --- re-review reminders and overdue notices -----------------------------------------------------


def review_reminders_enqueue(*, days_ahead: int = 14, today: date | None = None) -> dict[str, int]:
    """Enqueue today's reminders: re-reviews falling due within `days_ahead`, overdue reviews.

    Two queries, each leaving out what was already sent today; then one task per reminder.
    """
    today = today or timezone.localdate()
    day = _day_start(today)
    horizon = today + timedelta(days=days_ahead)
    sent_today = ScheduledRun.objects.filter(due=day)
    due = list(
        _rereviews_due(horizon=horizon)
        .exclude(
            models.Exists(
                sent_today.filter(kind=Kind.REREVIEW_DUE, article=models.OuterRef("article"))
            )
        )
        .values_list("article_id", flat=True)
    )
    overdue = list(
        _assignments_overdue(today=today)
        .exclude(
            models.Exists(
                sent_today.filter(kind=Kind.ASSIGNMENT_OVERDUE, assignment=models.OuterRef("pk"))
            )
        )
        .values_list("pk", flat=True)
    )
    for article_id in due:
        rereview_reminder.enqueue(
            article_id=article_id, day=today.isoformat(), horizon=horizon.isoformat()
        )
    for assignment_id in overdue:
        overdue_notice.enqueue(assignment_id=assignment_id, day=today.isoformat())
    return {"rereviews": len(due), "overdue": len(overdue)}


def _rereviews_due(*, horizon: date) -> models.QuerySet[ArticleWorkflow]:
    return ArticleWorkflow.objects.filter(
        next_review_due__lte=horizon, article__live_version__isnull=False
    ).exclude(state=State.RETIRED)


def _assignments_overdue(*, today: date) -> models.QuerySet[Assignment]:
    """Reviews still to give and past their date: a reviewer who signed is not reminded."""
    return open_assignments().filter(due_on__lt=today)


@task
def rereview_reminder(*, article_id: int, day: str, horizon: str) -> bool:
    """The task of one re-review reminder (see rereview_reminder_send)."""
    return rereview_reminder_send(
        article_id=article_id, day=date.fromisoformat(day), horizon=date.fromisoformat(horizon)
    )


@transaction.atomic
def rereview_reminder_send(*, article_id: int, day: date, horizon: date) -> bool:
    """Mail the last two approvers and the editors that a re-review falls due; once per day.

    Still due is checked again (a re-review may have been signed since the trigger ran); the
    claim and the mail's task row commit together. Returns whether a mail was composed.
    """
    workflow = (
        _rereviews_due(horizon=horizon)
        .select_related("article")
        .filter(article_id=article_id)
        .first()
    )
    if workflow is None or not _claim(
        kind=Kind.REREVIEW_DUE, article_id=article_id, due=_day_start(day)
    ):
        return False
    approvers = [
        signoff.reviewer
        for signoff in SignOff.objects.filter(article_id=article_id, meaning=Meaning.APPROVED)
        .select_related("reviewer")
        .order_by("-signed_at")[:2]
    ]
    recipients = {u.pk: u for u in [*approvers, *notifications.editors()]}
    with mail_with_the_transaction():
        notifications.notify_review_due(workflow=workflow, recipients=recipients.values())
    return True


@task
def overdue_notice(*, assignment_id: int, day: str) -> bool:
    """The task of one overdue review notice (see overdue_notice_send)."""
    return overdue_notice_send(assignment_id=assignment_id, day=date.fromisoformat(day))


@transaction.atomic
def overdue_notice_send(*, assignment_id: int, day: date) -> bool:
    """Remind the reviewer and tell the editors that a review is overdue; once per day.

    Still overdue is checked again (the review may have been signed or the round closed since).
    """
    assignment = (
        _assignments_overdue(today=day)
        .select_related("article", "reviewer")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not _claim(
        kind=Kind.ASSIGNMENT_OVERDUE,
        article_id=assignment.article_id,
        assignment_id=assignment_id,
        due=_day_start(day),
    ):
        return False
    with mail_with_the_transaction():
        notifications.notify_assignment_overdue(assignment=assignment)
    return True
