"""The scheduled jobs: publication and removal that fall due, and re-review reminders.

A scheduled action is taken through `transition_apply` as the editor who scheduled it, so the
guards run again at the time it is due.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from articles.models import Article
from reviews import notifications
from reviews.models import ArticleWorkflow, Assignment, Meaning, SignOff, State
from reviews.services.errors import WorkflowError
from reviews.services.records import audit_append
from reviews.services.transitions import transition_apply


def scheduled_actions_apply(*, now: datetime | None = None) -> list[str]:
    """Publish and unpublish what was scheduled up to `now`, as the editor who scheduled it.

    Each article is handled in its own transaction, deciding from its locked row: a schedule
    cancelled or moved since the due list was read is skipped, and transition_apply runs the
    guards again, so a schedule whose article changed since is refused and recorded, not forced.
    """
    now = now or timezone.now()
    due = ArticleWorkflow.objects.filter(
        models.Q(publish_at__lte=now) | models.Q(unpublish_at__lte=now)
    ).values_list("article_id", flat=True)
    return [
        line
        for article_id in list(due)
        if (line := _apply_schedule(article_id=article_id, now=now))
    ]


@transaction.atomic
def _apply_schedule(*, article_id: int, now: datetime) -> str | None:
    article = Article.objects.select_for_update().get(pk=article_id)
    workflow = (
        ArticleWorkflow.objects.select_for_update(of=("self",))
        .select_related("scheduled_by")
        .get(article=article)
    )
    if workflow.publish_at and workflow.publish_at <= now:
        action, field = "publish", "publish_at"
    elif workflow.unpublish_at and workflow.unpublish_at <= now:
        action, field = "unpublish", "unpublish_at"
    else:
        return None  # cancelled or moved after the due list was read
    note = "Scheduled." if action == "publish" else "Scheduled removal."
    try:
        with transaction.atomic():
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


def review_reminders_send(*, days_ahead: int = 14, today: date | None = None) -> dict[str, int]:
    """Mail re-reviews falling due (to the last approvers and the editors) and overdue assignments.

    Reads in a fixed number of queries: the due workflows with their last approvals, and the
    overdue assignments with their reviewers.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=days_ahead)
    due = list(
        ArticleWorkflow.objects.filter(
            next_review_due__lte=horizon, article__live_version__isnull=False
        )
        .exclude(state=State.RETIRED)
        .select_related("article")
    )
    approvers: dict[int, list[Any]] = {}
    for signoff in (
        SignOff.objects.filter(article__in=[w.article_id for w in due], meaning=Meaning.APPROVED)
        .select_related("reviewer")
        .order_by("article_id", "-signed_at")
    ):
        approvers.setdefault(signoff.article_id, []).append(signoff.reviewer)
    editor_list = notifications.editors()
    emails = 0
    for workflow in due:
        recipients = {u.pk: u for u in [*approvers.get(workflow.article_id, [])[:2], *editor_list]}
        notifications.notify_review_due(workflow=workflow, recipients=recipients.values())
        emails += 1
    overdue = list(
        Assignment.objects.filter(
            due_on__lt=today,
            article__workflow__state=State.UNDER_REVIEW,
            cycle=models.F("article__workflow__cycle"),
        ).select_related("article", "reviewer")
    )
    for assignment in overdue:
        notifications.notify_assignment_overdue(assignment=assignment)
        emails += 2  # the reviewer's reminder and the editors' notice
    return {"rereviews": len(due), "overdue": len(overdue), "emails": emails}
