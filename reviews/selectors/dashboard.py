"""The workspace home: each role's lists, the editors' queue and the review turnaround chart."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.paging import LazyRows
from reviews.models import ArticleWorkflow, Assignment, Meaning, SignOff, State
from reviews.selectors.reports import review_turnaround, undelivered_mail
from reviews.selectors.signing import open_assignments
from reviews.workspace_epoch import workspace_epoch

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


DASHBOARD_PAGE_SIZE = 20
COUNTS_CACHE_SECONDS = 10 * 60


def _page(build: Callable[[], Any], params: Any, name: str, *, count: int, kept: str = "") -> Any:
    """One page of the queryset `build()` makes, made when the template first uses it: a section
    whose rendered HTML is kept (templates/reviews/dashboard.html) neither builds nor reads it."""
    return SimpleLazyObject(partial(_read_page, build, params, name, count=count, kept=kept))


def _read_page(
    build: Callable[[], Any], params: Any, name: str, *, count: int, kept: str = ""
) -> Page:
    """One page of `build()`, its total already known (a cached count): no COUNT query, and no
    query at all for an empty list.

    With `kept` (a key naming the workspace epoch), the page's rows are kept in the cache too:
    for the lists whose every page must look at every open review (the reviewer's own, the late
    reviews, the workload), which no index orders for them.
    """
    paginator = Paginator(build(), DASHBOARD_PAGE_SIZE)
    paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    page = paginator.get_page(params.get(name))
    if not kept or not count:
        return page
    key = f"{kept}:{name}:{page.number}"
    object_list = page.object_list

    def rows() -> list[Any]:
        found = cache.get(key)
        if found is None:
            found = list(object_list)
            cache.set(key, found, COUNTS_CACHE_SECONDS)
        return found

    return Page(LazyRows(rows), page.number, paginator)


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
    def mine() -> Any:
        return (
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
    order = {"my_published": "-article__published_at"}

    def own(which: Q, name: str) -> Any:
        # What the board last asked for, in the reviewer's own words: the author's to-do list.
        asked = (
            SignOff.objects.filter(
                article_id=OuterRef("article_id"), meaning=Meaning.CHANGES_REQUESTED
            )
            .order_by("-signed_at", "-pk")
            .values("note")[:1]
        )
        return (
            _workflow_rows()
            .filter(article__authors=user)
            .annotate(asked=Subquery(asked))
            .filter(which)
            .order_by(order.get(name, "-state_changed_at"))
        )

    return {
        "is_author": True,
        **{
            name: _page(
                partial(own, which, name),
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
    return {
        "is_editor": True,
        "queue_state": state,
        "state_counts": [(s, counts[f"state:{s.value}"]) for s in State],
        "queue": _page(
            lambda: _workflow_rows().filter(state=state).order_by("state_changed_at"),
            params,
            "queue",
            count=counts[f"state:{state}"],
        ),
        "ready": _page(_ready_rows, params, "ready", count=counts["ready"]),
        "unassigned": _page(
            lambda: _workflow_rows().filter(_unassigned()).order_by("state_changed_at"),
            params,
            "unassigned",
            count=counts["unassigned"],
        ),
        "late_reviews": _page(
            lambda: (
                open_assignments()
                .filter(due_on__lt=today)
                .select_related("article", "reviewer__reviewer_profile")
                .only(*ASSIGNMENT_ROW_FIELDS, "reviewer")
                .order_by("due_on", "pk")
            ),
            params,
            "late",
            count=counts["late"],
            kept=kept,
        ),
        "workload": _page(
            lambda: (
                open_assignments()
                .values(
                    "reviewer_id",
                    "reviewer__username",
                    "reviewer__reviewer_profile__display_name",
                    "reviewer__reviewer_profile__credentials",
                )
                .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
                .order_by("-open", "reviewer__username")
            ),
            params,
            "workload",
            count=counts["workload"],
            kept=kept,
        ),
        "overdue_reviews": _page(
            lambda: _workflow_rows().filter(_rereview_overdue(today)).order_by("next_review_due"),
            params,
            "overdue",
            count=counts["overdue"],
        ),
        # Called by the template when it renders the chart (not when the section is kept).
        "turnaround": partial(review_turnaround, months=12),
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
    # Names each section's rendered HTML (templates/reviews/dashboard.html): the epoch and day
    # its counts are kept under, and the page's parameters (which page of each list, which tab).
    context["sections_key"] = f"{prefix}:{urlencode(sorted(params.lists()), doseq=True)}"
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
