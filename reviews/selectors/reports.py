"""What the editors' section of the workspace home reports beside its lists: notification mail
that could not be sent, and the review turnaround chart."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import timedelta
from statistics import median
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reviews.mail import deliver
from reviews.models import AuditEvent, State


@dataclass(frozen=True)
class UndeliveredMail:
    subject: str
    to: list[str]
    failed_at: Any
    error: str


UNDELIVERED_SHOWN = 5


def undelivered_mail(*, limit: int = UNDELIVERED_SHOWN) -> dict[str, Any]:
    """Notification mail whose every try failed: how many, and the newest few.

    Only the last try of a mail fails its task (reviews.mail.deliver), so each failed row is
    one mail nobody received; an editor must tell those people another way.
    """
    failed = DBTaskResult.objects.failed().filter(task_path=deliver.module_path)
    newest = [
        UndeliveredMail(
            subject=row.args_kwargs.get("kwargs", {}).get("subject", ""),
            to=row.args_kwargs.get("kwargs", {}).get("to", []),
            failed_at=row.finished_at,
            error=row.exception_class_path.rsplit(".", 1)[-1],
        )
        for row in failed.order_by("-finished_at")[:limit]
    ]
    return {"count": failed.count() if len(newest) == limit else len(newest), "newest": newest}


@dataclass(frozen=True)
class TurnaroundMonth:
    month: str  # YYYY-MM
    reviews: int
    median_days: float


TURNAROUND_CACHE_SECONDS = 10 * 60


def review_turnaround(*, months: int = 12) -> list[TurnaroundMonth]:
    """Median days from submission to approval, by month of approval, for the last `months`.

    Monthly medians move slowly and reading a year of approvals grows with the publisher, so the
    chart is computed at most every ten minutes (and each day) and kept in the cache.
    """
    key = f"review-turnaround:{months}:{timezone.localdate():%Y-%m-%d}"
    kept = cache.get(key)
    if kept is not None:
        return [TurnaroundMonth(*row) for row in kept]
    chart = _review_turnaround(months=months)
    # Kept as plain tuples: a pickled class breaks every server when the class moves.
    cache.set(key, [astuple(m) for m in chart], TURNAROUND_CACHE_SECONDS)
    return chart


def _review_turnaround(*, months: int) -> list[TurnaroundMonth]:
    """Two queries whatever the volume of history: the approvals in the window, and the
    submissions of those articles; each approval is paired with the last submission before it.

    The articles are named by a subquery, not a list of keys: a busy year has more approved
    articles than PostgreSQL accepts parameters in one statement (65,535)."""
    since = timezone.now() - timedelta(days=31 * months)
    window = AuditEvent.objects.filter(
        action="approve", to_state=State.APPROVED, created_at__gte=since
    )
    approvals = list(window.values_list("article_id", "created_at").order_by("created_at"))
    submissions: dict[int, list[Any]] = {}
    for article_id, created_at in (
        AuditEvent.objects.filter(action="submit", article_id__in=window.values("article_id"))
        .values_list("article_id", "created_at")
        .order_by("created_at")
    ):
        submissions.setdefault(article_id, []).append(created_at)
    by_month: dict[str, list[float]] = {}
    for article_id, approved_at in approvals:
        earlier = [s for s in submissions.get(article_id, []) if s <= approved_at]
        if earlier:
            days = (approved_at - earlier[-1]).total_seconds() / 86400
            by_month.setdefault(f"{approved_at:%Y-%m}", []).append(days)
    return [
        TurnaroundMonth(month=m, reviews=len(d), median_days=round(median(d), 1))
        for m, d in sorted(by_month.items())
    ]
