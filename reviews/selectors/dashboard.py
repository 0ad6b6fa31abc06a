"""The workspace home: each role's lists, the editors' queue and the review turnaround chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from statistics import median
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from reviews.mail import deliver
from reviews.models import ArticleWorkflow, Assignment, AuditEvent, Meaning, SignOff, State
from reviews.selectors.signing import open_assignments
from reviews.workspace_epoch import workspace_epoch

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


DASHBOARD_PAGE_SIZE = 20
COUNTS_CACHE_SECONDS = 10 * 60


def _page(queryset: Any, params: Any, name: str, *, count: int, kept: str = "") -> Page:
    """One page of `queryset`, its total already known (a cached count): no COUNT query, and no
    query at all for an empty list.

    With `kept` (a key naming the workspace epoch), the page's rows are kept in the cache too:
    for the lists whose every page must look at every open review (the reviewer's own, the late
    reviews, the workload), which no index orders for them.
    """
    paginator = Paginator(queryset, DASHBOARD_PAGE_SIZE)
    paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    page = paginator.get_page(params.get(name))
    if not kept or not count:
        return page
    key = f"{kept}:{name}:{page.number}"
    rows = cache.get(key)
    if rows is None:
        rows = list(page.object_list)
        cache.set(key, rows, COUNTS_CACHE_SECONDS)
    return Page(rows, page.number, paginator)


def _counted(
    user: AbstractBaseUser, today: Any, **sections: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], str]:
    """Each section's counts, from the cache under the workspace epoch, computed if missing;
    and the key prefix that names this epoch and day.

    Counts are aggregates over the whole workflow and grow with the publisher; the epoch moves
    after every write that could change one (reviews.signals), and the keys name the day, since
    a review falls overdue without any write.
    """
    prefix = f"workspace-counts:{workspace_epoch()}:{today:%Y-%m-%d}"
    keys = {name: f"{prefix}:{name}:{user.pk if name != 'editor' else ''}" for name in sections}
    found = cache.get_many(list(keys.values()))
    counts = {name: found.get(key) for name, key in keys.items()}
    missing = {}
    for name, compute in sections.items():
        if counts[name] is None:
            counts[name] = missing[keys[name]] = compute()
    if missing:
        cache.set_many(missing, COUNTS_CACHE_SECONDS)
    return counts, prefix


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
            "article__live_pending_review",
        )
        # Which version is live, in the same query: a row says whether it is published.
        .annotate(live_number=F("article__live_version__version"))
        .prefetch_related(
            Prefetch("article__authors", queryset=get_user_model().objects.order_by("pk")),
            Prefetch("article__assignments", queryset=current_round, to_attr="current_round"),
        )
    )


# What a list row of an assignment shows of its article: never the texts (tens of kilobytes).
ASSIGNMENT_ROW_FIELDS = (
    "article",
    "due_on",
    "assigned_at",
    "article__slug",
    "article__title",
    "article__version",
)


def _reviewer_counts(*, user: AbstractBaseUser, today: Any) -> dict[str, int]:
    return (
        open_assignments()
        .filter(reviewer=user)
        .aggregate(assigned=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    )


def _reviewer_section(
    *, user: AbstractBaseUser, params: Any, counts: Any, kept: str
) -> dict[str, Any]:
    mine = (
        open_assignments()
        .filter(reviewer=user)
        .select_related("article")
        .only(*ASSIGNMENT_ROW_FIELDS)
        .order_by(F("due_on").asc(nulls_last=True), "assigned_at")
    )
    return {
        "is_reviewer": True,
        "assigned": _page(mine, params, "assigned", count=counts["assigned"], kept=kept),
        "overdue_count": counts["overdue"],
    }


AUTHOR_LISTS = {
    # list: (page parameter, which of the author's workflows)
    "my_drafts": ("drafts", Q(state=State.DRAFT)),
    "changes_requested": ("changes", Q(state=State.CHANGES_REQUESTED)),
    "in_review": ("inreview", Q(state__in=[State.SUBMITTED, State.UNDER_REVIEW])),
    "my_published": ("published", Q(article__live_version__isnull=False)),
}


def _author_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    return ArticleWorkflow.objects.filter(article__authors=user).aggregate(
        **{name: Count("pk", filter=which) for name, (_, which) in AUTHOR_LISTS.items()}
    )


def _author_section(*, user: AbstractBaseUser, params: Any, counts: Any) -> dict[str, Any]:
    # What the board last asked for, in the reviewer's own words: the author's to-do list.
    asked = (
        SignOff.objects.filter(article_id=OuterRef("article_id"), meaning=Meaning.CHANGES_REQUESTED)
        .order_by("-signed_at", "-pk")
        .values("note")[:1]
    )
    own = _workflow_rows().filter(article__authors=user).annotate(asked=Subquery(asked))
    order = {"my_published": "-article__published_at"}
    return {
        "is_author": True,
        **{
            name: _page(
                own.filter(which).order_by(order.get(name, "-state_changed_at")),
                params,
                param,
                count=counts[name],
            )
            for name, (param, which) in AUTHOR_LISTS.items()
        },
    }


def _unassigned() -> Q:
    """Only a submitted article without reviewers in its current round waits for an editor: a
    resubmission carries its round's reviewers over and goes straight under review."""
    assigned = Assignment.objects.filter(article=OuterRef("article"), cycle=OuterRef("cycle"))
    return Q(state=State.SUBMITTED) & ~Q(Exists(assigned))


def _rereview_overdue(today: Any) -> Q:
    return Q(next_review_due__lt=today, article__live_version__isnull=False)


def _ready_to_publish() -> Q:
    """Approved, its current version not live as approved (never published, an older one live,
    or live pending review): what an editor publishes next."""
    return Q(state=State.APPROVED) & (
        Q(article__live_version__isnull=True)
        | Q(article__live_pending_review=True)
        | ~Q(article__live_version__version=F("article__version"))
    )


def _ready_rows() -> Any:
    """Those, with this text's last approver, when, and how many approved it: one query."""
    approvals = SignOff.objects.filter(
        article_id=OuterRef("article_id"),
        meaning=Meaning.APPROVED,
        content_hash=OuterRef("article__content_hash"),
    )
    return (
        ArticleWorkflow.objects.filter(_ready_to_publish())
        .select_related("article")
        .only("state", "article__slug", "article__title", "article__version")
        .annotate(
            live_number=F("article__live_version__version"),
            approved_by=Subquery(approvals.order_by("-signed_at").values("printed_name")[:1]),
            approved_at=Subquery(approvals.order_by("-signed_at").values("signed_at")[:1]),
            approvals=Subquery(
                approvals.order_by().values("article_id").annotate(n=Count("pk")).values("n")
            ),
        )
        .order_by("state_changed_at", "pk")
    )


def _editor_counts(*, today: Any) -> dict[str, int]:
    """Two queries: every workflow count, then the open reviews (late ones, reviewers)."""
    counts = ArticleWorkflow.objects.aggregate(
        **{f"state:{s.value}": Count("pk", filter=Q(state=s)) for s in State},
        unassigned=Count("pk", filter=_unassigned()),
        ready=Count("pk", filter=_ready_to_publish()),
        overdue=Count("pk", filter=_rereview_overdue(today)),
    )
    counts.update(
        open_assignments().aggregate(
            late=Count("pk", filter=Q(due_on__lt=today)),
            workload=Count("reviewer_id", distinct=True),
        )
    )
    return counts


def _editor_section(*, params: Any, today: Any, counts: Any, kept: str) -> dict[str, Any]:
    state = params.get("state") if params.get("state") in State.values else State.SUBMITTED
    open_ = open_assignments()
    return {
        "is_editor": True,
        "queue_state": state,
        "state_counts": [(s, counts[f"state:{s.value}"]) for s in State],
        "queue": _page(
            _workflow_rows().filter(state=state).order_by("state_changed_at"),
            params,
            "queue",
            count=counts[f"state:{state}"],
        ),
        "ready": _page(_ready_rows(), params, "ready", count=counts["ready"]),
        "unassigned": _page(
            _workflow_rows().filter(_unassigned()).order_by("state_changed_at"),
            params,
            "unassigned",
            count=counts["unassigned"],
        ),
        "late_reviews": _page(
            open_.filter(due_on__lt=today)
            .select_related("article", "reviewer__reviewer_profile")
            .only(*ASSIGNMENT_ROW_FIELDS, "reviewer")
            .order_by("due_on", "pk"),
            params,
            "late",
            count=counts["late"],
            kept=kept,
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
            count=counts["workload"],
            kept=kept,
        ),
        "overdue_reviews": _page(
            _workflow_rows().filter(_rereview_overdue(today)).order_by("next_review_due"),
            params,
            "overdue",
            count=counts["overdue"],
        ),
        "turnaround": review_turnaround(months=12),
        "undelivered": undelivered_mail(),
    }


def dashboard(*, user: AbstractBaseUser, params: Any) -> dict[str, Any]:
    """The sections of the workspace home for each role the user holds; every list paginated.

    A superuser without a role group sees the editors' view: they can do what an editor does.
    The counts come from the cache (see _counted); the lists are pages of twenty.
    """
    groups = user_group_names(user)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "today": today,
        "is_author": False,
        "is_editor": False,
        "is_reviewer": False,
    }
    sections: dict[str, Callable[[], dict[str, int]]] = {}
    if ROLE_GROUPS[Role.REVIEWER] in groups:
        sections["reviewer"] = partial(_reviewer_counts, user=user, today=today)
    if ROLE_GROUPS[Role.AUTHOR] in groups:
        sections["author"] = partial(_author_counts, user=user)
    if ROLE_GROUPS[Role.EDITOR] in groups or user.is_superuser:
        sections["editor"] = partial(_editor_counts, today=today)
    counts, prefix = _counted(user, today, **sections)
    if "reviewer" in counts:
        context.update(
            _reviewer_section(
                user=user, params=params, counts=counts["reviewer"], kept=f"{prefix}:{user.pk}"
            )
        )
    if "author" in counts:
        context.update(_author_section(user=user, params=params, counts=counts["author"]))
    if "editor" in counts:
        context.update(
            _editor_section(
                params=params, today=today, counts=counts["editor"], kept=f"{prefix}:editor"
            )
        )
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
