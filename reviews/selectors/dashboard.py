"""The workspace home: each role's lists, the editors' queue and the review turnaround chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from reviews.mail import deliver
from reviews.models import ArticleWorkflow, Assignment, AuditEvent, Meaning, SignOff, State
from reviews.selectors.signing import open_assignments

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


DASHBOARD_PAGE_SIZE = 20


def _page(queryset: Any, params: Any, name: str) -> Any:
    return Paginator(queryset, DASHBOARD_PAGE_SIZE).get_page(params.get(name))


def _workflow_rows() -> Any:
    """Workflow rows with their article, its authors and the current round's reviewers.

    Two prefetch queries per page shown, whatever its length: the authors, and the current
    round's assignments (in `article.current_round`, with each reviewer's profile).
    """
    current_round = (
        Assignment.objects.filter(cycle=F("article__workflow__cycle"))
        .select_related("reviewer__reviewer_profile")
        .order_by("assigned_at")
    )
    return (
        ArticleWorkflow.objects.select_related("article")
        .only(
            "state",
            "state_changed_at",
            "next_review_due",
            "cycle",
            "high_risk",
            "required_approvals",
            "article__slug",
            "article__title",
            "article__version",
            "article__live_version",
        )
        .prefetch_related(
            Prefetch("article__authors", queryset=get_user_model().objects.order_by("pk")),
            Prefetch("article__assignments", queryset=current_round, to_attr="current_round"),
        )
    )


def _reviewer_section(*, user: AbstractBaseUser, params: Any, today: Any) -> dict[str, Any]:
    mine = (
        open_assignments()
        .filter(reviewer=user)
        .select_related("article")
        .order_by(F("due_on").asc(nulls_last=True), "assigned_at")
    )
    return {
        "is_reviewer": True,
        "assigned": _page(mine, params, "assigned"),
        "overdue_count": mine.filter(due_on__lt=today).count(),
    }


def _author_section(*, user: AbstractBaseUser, params: Any) -> dict[str, Any]:
    # What the board last asked for, in the reviewer's own words: the author's to-do list.
    asked = (
        SignOff.objects.filter(article_id=OuterRef("article_id"), meaning=Meaning.CHANGES_REQUESTED)
        .order_by("-signed_at", "-pk")
        .values("note")[:1]
    )
    own = _workflow_rows().filter(article__authors=user).annotate(asked=Subquery(asked))
    return {
        "is_author": True,
        "my_drafts": _page(
            own.filter(state=State.DRAFT).order_by("-state_changed_at"), params, "drafts"
        ),
        "changes_requested": _page(
            own.filter(state=State.CHANGES_REQUESTED).order_by("-state_changed_at"),
            params,
            "changes",
        ),
        "in_review": _page(
            own.filter(state__in=[State.SUBMITTED, State.UNDER_REVIEW]).order_by(
                "-state_changed_at"
            ),
            params,
            "inreview",
        ),
        "my_published": _page(
            own.filter(article__live_version__isnull=False).order_by("-article__published_at"),
            params,
            "published",
        ),
    }


def _editor_section(*, params: Any, today: Any) -> dict[str, Any]:
    state = params.get("state") if params.get("state") in State.values else State.SUBMITTED
    counts = dict(ArticleWorkflow.objects.values_list("state").annotate(n=Count("pk")))
    assigned = Assignment.objects.filter(article=OuterRef("article"), cycle=OuterRef("cycle"))
    open_ = open_assignments()
    return {
        "is_editor": True,
        "queue_state": state,
        "state_counts": [(s, counts.get(s.value, 0)) for s in State],
        "queue": _page(
            _workflow_rows().filter(state=state).order_by("state_changed_at"), params, "queue"
        ),
        # Only a submitted article without reviewers in its current round waits for an editor:
        # a resubmission carries its round's reviewers over and goes straight under review.
        "unassigned": _page(
            _workflow_rows()
            .filter(state=State.SUBMITTED)
            .filter(~Exists(assigned))
            .order_by("state_changed_at"),
            params,
            "unassigned",
        ),
        "late_reviews": _page(
            open_.filter(due_on__lt=today)
            .select_related("article", "reviewer__reviewer_profile")
            .order_by("due_on", "pk"),
            params,
            "late",
        ),
        "workload": _page(
            open_.values(
                "reviewer_id",
                "reviewer__username",
                "reviewer__reviewer_profile__display_name",
                "reviewer__reviewer_profile__credentials",
            )
            .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
            .order_by("-open", "reviewer__username"),
            params,
            "workload",
        ),
        "overdue_reviews": _page(
            _workflow_rows()
            .filter(next_review_due__lt=today, article__live_version__isnull=False)
            .order_by("next_review_due"),
            params,
            "overdue",
        ),
        "turnaround": review_turnaround(months=12),
        "undelivered": undelivered_mail(),
    }


def dashboard(*, user: AbstractBaseUser, params: Any) -> dict[str, Any]:
    """The sections of the workspace home for each role the user holds; every list paginated.

    A superuser without a role group sees the editors' view: they can do what an editor does.
    """
    groups = user_group_names(user)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "today": today,
        "is_author": False,
        "is_editor": False,
        "is_reviewer": False,
    }
    if ROLE_GROUPS[Role.REVIEWER] in groups:
        context.update(_reviewer_section(user=user, params=params, today=today))
    if ROLE_GROUPS[Role.AUTHOR] in groups:
        context.update(_author_section(user=user, params=params))
    if ROLE_GROUPS[Role.EDITOR] in groups or user.is_superuser:
        context.update(_editor_section(params=params, today=today))
    return context


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
    chart = cache.get(key)
    if chart is None:
        chart = _review_turnaround(months=months)
        cache.set(key, chart, TURNAROUND_CACHE_SECONDS)
    return chart


def _review_turnaround(*, months: int) -> list[TurnaroundMonth]:
    """Two queries whatever the volume of history: the approvals in the window, and the
    submissions of those articles; each approval is paired with the last submission before it."""
    since = timezone.now() - timedelta(days=31 * months)
    approvals = list(
        AuditEvent.objects.filter(action="approve", to_state=State.APPROVED, created_at__gte=since)
        .values_list("article_id", "created_at")
        .order_by("created_at")
    )
    submissions: dict[int, list[Any]] = {}
    for article_id, created_at in (
        AuditEvent.objects.filter(action="submit", article_id__in={a for a, _ in approvals})
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
