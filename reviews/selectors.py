"""Reads for the editorial process; query counts do not grow with the data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.audiences import audiences as configured_audiences
from articles.content import collect_citation_keys
from articles.models import Article, ProblemReport
from articles.services import rendition_get_or_create
from references.selectors import references_for_keys
from reviews.checks import article_checks
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    Meaning,
    ReviewComment,
    SignOff,
    State,
)
from reviews.records import GENESIS
from reviews.workflow import TRANSITIONS, Context, Transition, needs_input

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def assigned_reviewer_ids(*, article: Article, cycle: int) -> set[int]:
    return set(
        Assignment.objects.filter(article=article, cycle=cycle).values_list(
            "reviewer_id", flat=True
        )
    )


def roles_for(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    """The workflow roles `user` holds on `article` right now: one query at most, none again for
    the same article object and cycle (a page asks several times).

    The user's groups come from the per-user cache when a page already read them; otherwise the
    same query asks for the three role groups.
    """
    if not user.is_authenticated:
        return frozenset()
    memo = article.__dict__.setdefault("_editorial_roles", {})
    key = (user.pk, workflow.cycle)
    if key not in memo:
        memo[key] = _roles(user=user, article=article, workflow=workflow)
    return memo[key]


def _roles(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    groups = getattr(user, "_editorial_groups", None)
    if groups is not None and not groups & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.REVIEWER]}:
        return frozenset({Role.EDITOR}) if ROLE_GROUPS[Role.EDITOR] in groups else frozenset()
    checks: dict[str, Any] = {
        "author": Exists(
            Article.authors.through.objects.filter(article_id=OuterRef("pk"), user_id=user.pk)
        ),
        "assigned": Exists(
            Assignment.objects.filter(
                article_id=OuterRef("pk"), cycle=workflow.cycle, reviewer_id=user.pk
            )
        ),
    }
    if groups is None:
        membership = user.groups.through.objects.filter(user_id=user.pk)
        checks |= {
            f"in_{role.value}_group": Exists(membership.filter(group__name=name))
            for role, name in ROLE_GROUPS.items()
        }
    row = Article.objects.filter(pk=article.pk).values(**checks).get()
    in_group = {
        role: (ROLE_GROUPS[role] in groups) if groups is not None else row[f"in_{role.value}_group"]
        for role in ROLE_GROUPS
    }
    roles = set()
    if in_group[Role.EDITOR]:
        roles.add(Role.EDITOR)
    if in_group[Role.AUTHOR] and row["author"]:
        roles.add(Role.AUTHOR)
    if in_group[Role.REVIEWER] and row["assigned"]:
        roles.add(Role.REVIEWER)
    return frozenset(roles)


@dataclass(frozen=True)
class SigningFacts:
    """What the signing guards and the sign-off itself need to know, read in one query under the
    article's row lock: authorship, conflicts, open comments, the last approval, the chain heads."""

    wrote_or_edited: bool
    conflicted: bool
    open_comments: int
    last_approved_version: int | None
    changed_since_approval: bool
    substantive_since_approval: bool
    signoff_head: str
    audit_head: str

    @property
    def only_minor_changes_since_approval(self) -> bool:
        """An earlier version was approved and every change since is marked minor."""
        return (
            self.last_approved_version is not None
            and self.changed_since_approval
            and not self.substantive_since_approval
        )


def signing_facts(
    *, article: Article, workflow: ArticleWorkflow, user: AbstractBaseUser
) -> SigningFacts:
    """One query: see SigningFacts. Call it while holding the article's row lock, so the chain
    heads are still the heads when the rows are appended."""
    from articles.models import ChangeWeight
    from reviews.models import ReviewerProfile

    history = Article.history.model.objects.filter(id=OuterRef("pk"))
    since_approval = history.filter(version__gt=OuterRef("last_approved"))
    # Under review means saved in this cycle, or after the last version that reached approval:
    # a cycle starts at submission, so edits made to the draft before it was submitted count too.
    under_review = Q(version__gt=Coalesce(OuterRef("last_approved"), 0))
    if workflow.cycle_started_at is not None:
        under_review |= Q(history_date__gte=workflow.cycle_started_at)
    comments = (
        ReviewComment.objects.filter(
            article_id=OuterRef("pk"), parent__isnull=True, resolution__isnull=True
        )
        .order_by()
        .values("article_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    row = (
        Article.objects.filter(pk=article.pk)
        .annotate(
            last_approved=Subquery(
                AuditEvent.objects.filter(
                    article_id=OuterRef("pk"), action="approve", to_state=State.APPROVED
                )
                .order_by("-version")
                .values("version")[:1]
            )
        )
        .values(
            "last_approved",
            author=Exists(
                Article.authors.through.objects.filter(article_id=OuterRef("pk"), user_id=user.pk)
            ),
            edited=Exists(history.filter(under_review, history_user_id=user.pk)),
            conflicted=Exists(
                ReviewerProfile.conflicted_articles.through.objects.filter(
                    article_id=OuterRef("pk"), reviewerprofile__user_id=user.pk
                )
            ),
            open_comments=Coalesce(Subquery(comments), 0),
            changed=Exists(since_approval),
            substantive=Exists(since_approval.exclude(change_weight=ChangeWeight.MINOR)),
            signoff_head=Subquery(
                SignOff.objects.filter(article_id=OuterRef("pk"))
                .order_by("-pk")
                .values("chain_hash")[:1]
            ),
            audit_head=Subquery(
                AuditEvent.objects.filter(article_id=OuterRef("pk"))
                .order_by("-pk")
                .values("chain_hash")[:1]
            ),
        )
        .get()
    )
    return SigningFacts(
        wrote_or_edited=row["author"] or row["edited"],
        conflicted=row["conflicted"],
        open_comments=row["open_comments"],
        last_approved_version=row["last_approved"],
        changed_since_approval=row["changed"],
        substantive_since_approval=row["substantive"],
        signoff_head=row["signoff_head"] or GENESIS,
        audit_head=row["audit_head"] or GENESIS,
    )


def signoffs_on_current_hash(*, article: Article, workflow: ArticleWorkflow) -> list[SignOff]:
    """This cycle's sign-offs on the article's current content hash, in the order signed."""
    return list(
        SignOff.objects.filter(
            article=article,
            cycle=workflow.cycle,
            content_hash=article.content_hash,
        ).order_by("signed_at", "pk")
    )


def approvals_among(signoffs: Iterable[SignOff]) -> list[SignOff]:
    """The approvals that count among sign-offs on one hash (in the order signed), one per reviewer.

    A reviewer's last sign-off on this content is their word: an approval followed by a request
    for changes is no approval.
    """
    first_approval: dict[int, SignOff] = {}
    last_meaning: dict[int, str] = {}
    for signoff in signoffs:
        last_meaning[signoff.reviewer_id] = signoff.meaning
        if signoff.meaning == Meaning.APPROVED:
            first_approval.setdefault(signoff.reviewer_id, signoff)
    return [s for r, s in first_approval.items() if last_meaning[r] == Meaning.APPROVED]


def valid_approvals(*, article: Article, workflow: ArticleWorkflow) -> list[SignOff]:
    """Approvals of this cycle on the article's current content hash, one per reviewer."""
    return approvals_among(signoffs_on_current_hash(article=article, workflow=workflow))


@dataclass(frozen=True)
class Action:
    """A transition the user holds a role for in the current state, with why it is blocked."""

    transition: Transition
    blocked_by: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.blocked_by


def available_actions(
    *, article: Article, user: AbstractBaseUser, memo: dict[str, Any] | None = None
) -> list[Action]:
    """Every transition `user` may attempt on `article` now; used to authorise and to draw buttons.

    `memo` lets a caller share what the guards computed (the checks) with the rest of a page.
    """
    workflow = article.workflow
    roles = roles_for(user=user, article=article, workflow=workflow)
    ctx = Context(
        article=article,
        workflow=workflow,
        user=user,
        roles=roles,
        memo=memo if memo is not None else {},
    )
    actions = []
    for transition in TRANSITIONS.values():
        if workflow.state not in transition.sources or not roles & transition.roles:
            continue
        reasons = tuple(
            reason for guard in transition.guards if not needs_input(guard) for reason in guard(ctx)
        )
        actions.append(Action(transition=transition, blocked_by=reasons))
    return actions


def open_comment_threads(*, article: Article) -> list[ReviewComment]:
    """Unresolved root comments of the article, oldest first, with their replies (2 queries)."""
    return list(
        ReviewComment.objects.filter(article=article, parent__isnull=True, resolution__isnull=True)
        .select_related("author")
        .prefetch_related("replies__author")
        .order_by("created_at", "pk")
    )


# --- the editorial workspace -------------------------------------------------------------------


def can_create_articles(*, user: AbstractBaseUser) -> bool:
    return bool(user_group_names(user) & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.EDITOR]})


def can_read_dossier(*, user: AbstractBaseUser, article: Article) -> bool:
    roles = roles_for(user=user, article=article, workflow=article.workflow)
    return bool(roles & {Role.EDITOR, Role.REVIEWER})


def workspace_article(*, slug: str, user: AbstractBaseUser) -> Article | None:
    """The article if `user` holds any role on it (editor, its author, assigned reviewer)."""
    article = Article.objects.select_related("workflow", "live_version").filter(slug=slug).first()
    if article is None or not roles_for(user=user, article=article, workflow=article.workflow):
        return None
    return article


def references_for_text(*, text: str) -> dict[str, Any]:
    return references_for_keys(collect_citation_keys({"text": text}))


def workspace_page(*, article: Article, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything the article's workspace page shows, in a fixed number of queries."""
    workflow = article.workflow
    memo: dict[str, Any] = {}
    actions = available_actions(article=article, user=user, memo=memo)
    if "checks" not in memo:
        memo["checks"] = article_checks(article=article)
    signoffs = list(
        SignOff.objects.filter(article=article)
        .select_related("reviewer")
        .order_by("-signed_at", "-pk")[:50]
    )
    approvals = valid_approvals(article=article, workflow=workflow)
    references = references_for_keys(article.citation_keys)
    threads = list(
        ReviewComment.objects.filter(article=article, parent__isnull=True)
        .select_related("author", "resolution__resolved_by")
        .prefetch_related("replies__author")
        .order_by("-created_at", "-pk")[:100]
    )
    return {
        "article": article,
        "workflow": workflow,
        "roles": roles_for(user=user, article=article, workflow=workflow),
        "actions": actions,
        "signoffs": signoffs,
        "approvals": approvals,
        "approvals_needed": workflow.approvals_needed,
        "assignments": list(
            Assignment.objects.filter(article=article, cycle=workflow.cycle)
            .select_related("reviewer__reviewer_profile")
            .order_by("assigned_at")
        ),
        "audit_events": list(
            AuditEvent.objects.filter(article=article)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:30]
        ),
        "open_threads": [t for t in threads if not hasattr(t, "resolution")],
        "resolved_threads": [t for t in threads if hasattr(t, "resolution")],
        "references": sorted(
            {r.pk: r for r in references.values()}.values(), key=lambda r: r.citekey
        ),
        "authors": list(article.authors.all()),
        "problem_reports": list(
            ProblemReport.objects.filter(article=article)
            .exclude(status=ProblemReport.Status.CLOSED)
            .order_by("-created_at")[:20]
        ),
        "checks": memo["checks"],
        "live_is_current": article.live_version_id is not None
        and article.live_version.content_hash == article.content_hash,
    }


def version_history(*, article: Article, page_number: Any, per_page: int = 25) -> dict[str, Any]:
    """Every version, newest first, paginated, with who saved it, why and how heavy the change."""
    versions = (
        article.history.select_related("history_user")
        .only(
            "history_id",
            "version",
            "content_hash",
            "history_date",
            "history_user__username",
            "history_user__first_name",
            "history_user__last_name",
            "history_change_reason",
            "change_weight",
            "id",
        )
        .order_by("-version", "-history_id")
    )
    page = Paginator(versions, per_page).get_page(page_number)
    signed = dict(
        SignOff.objects.filter(
            article=article, version__in=[v.version for v in page], meaning=Meaning.APPROVED
        ).values_list("version", "printed_name")
    )
    return {
        "article": article,
        "page_obj": page,
        "signed": signed,
        "live_version": article.live_version.version if article.live_version_id else None,
    }


def version_pair(*, article: Article, from_version: int, to_version: int) -> tuple[Any, Any] | None:
    """Two frozen versions of the article (one query), or None when either does not exist."""
    rows = {v.version: v for v in article.history.filter(version__in=[from_version, to_version])}
    if from_version not in rows or to_version not in rows:
        return None
    return rows[from_version], rows[to_version]


def version_preview(*, article: Article, snapshot: Any) -> dict[str, Any]:
    renditions = []
    for key, audience in configured_audiences().items():
        if key in snapshot.texts:
            try:
                renditions.append(
                    (audience, rendition_get_or_create(version=snapshot, audience=key), None)
                )
            except ValidationError as error:
                renditions.append((audience, None, error.messages))
    return {"article": article, "snapshot": snapshot, "renditions": renditions}


# --- dashboards --------------------------------------------------------------------------------

DASHBOARD_PAGE_SIZE = 20


def _page(queryset: Any, params: Any, name: str) -> Any:
    return Paginator(queryset, DASHBOARD_PAGE_SIZE).get_page(params.get(name))


def _workflow_rows() -> Any:
    return ArticleWorkflow.objects.select_related("article").only(
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


def dashboard(*, user: AbstractBaseUser, params: Any) -> dict[str, Any]:
    """The sections of the workspace home for each role the user holds; every list paginated."""
    groups = user_group_names(user)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "today": today,
        "is_author": False,
        "is_editor": False,
        "is_reviewer": False,
    }
    if ROLE_GROUPS[Role.REVIEWER] in groups:
        mine = (
            Assignment.objects.filter(
                reviewer=user,
                article__workflow__state=State.UNDER_REVIEW,
                cycle=F("article__workflow__cycle"),
            )
            .select_related("article", "article__workflow")
            .order_by(F("due_on").asc(nulls_last=True), "assigned_at")
        )
        context.update(
            is_reviewer=True,
            assigned=_page(mine, params, "assigned"),
            overdue_count=mine.filter(due_on__lt=today).count(),
        )
    if ROLE_GROUPS[Role.AUTHOR] in groups:
        own = _workflow_rows().filter(article__authors=user)
        context.update(
            is_author=True,
            my_drafts=_page(
                own.filter(state=State.DRAFT).order_by("-state_changed_at"), params, "drafts"
            ),
            changes_requested=_page(
                own.filter(state=State.CHANGES_REQUESTED).order_by("-state_changed_at"),
                params,
                "changes",
            ),
            in_review=_page(
                own.filter(state__in=[State.SUBMITTED, State.UNDER_REVIEW]).order_by(
                    "-state_changed_at"
                ),
                params,
                "inreview",
            ),
        )
    if ROLE_GROUPS[Role.EDITOR] in groups:
        state = params.get("state") if params.get("state") in State.values else State.SUBMITTED
        counts = dict(ArticleWorkflow.objects.values_list("state").annotate(n=Count("pk")))
        assigned = Assignment.objects.filter(article=OuterRef("article"), cycle=OuterRef("cycle"))
        context.update(
            is_editor=True,
            queue_state=state,
            state_counts=[(s, counts.get(s.value, 0)) for s in State],
            queue=_page(
                _workflow_rows().filter(state=state).order_by("state_changed_at"), params, "queue"
            ),
            unassigned=_page(
                _workflow_rows()
                .filter(state=State.SUBMITTED)
                .filter(~Exists(assigned))
                .order_by("state_changed_at"),
                params,
                "unassigned",
            ),
            overdue_reviews=_page(
                _workflow_rows()
                .filter(next_review_due__lt=today, article__live_version__isnull=False)
                .order_by("next_review_due"),
                params,
                "overdue",
            ),
            turnaround=review_turnaround(months=12),
        )
    return context


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


# --- tamper evidence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    model: str
    pk: int
    article_id: int
    reason: str

    def __str__(self) -> str:
        return f"{self.model} {self.pk} (article {self.article_id}): {self.reason}"


def chain_breaks(*, article_ids: Any = None) -> Iterator[ChainBreak]:
    """Walk every article's audit and sign-off chains, in the order written, yielding each break.

    A row breaks the chain when its own hash no longer matches its content (it was edited) or
    when it does not point at the row before it (a row was removed, inserted or reordered).
    """
    for model in (AuditEvent, SignOff):
        rows = model.objects.order_by("article_id", "pk")
        if article_ids is not None:
            rows = rows.filter(article_id__in=article_ids)
        previous: dict[int, str] = {}
        for row in rows.iterator(chunk_size=2000):
            expected_previous = previous.get(row.article_id, GENESIS)
            if row.chain_previous != expected_previous:
                yield ChainBreak(
                    model.__name__,
                    row.pk,
                    row.article_id,
                    "does not follow the row before it (a row was removed, added or reordered)",
                )
            elif not row.verify():
                yield ChainBreak(
                    model.__name__,
                    row.pk,
                    row.article_id,
                    "its content no longer matches its hash (it was changed)",
                )
            previous[row.article_id] = row.chain_hash


# --- the evidence dossier ----------------------------------------------------------------------------


def article_dossier(*, article: Article) -> dict[str, Any]:
    """Everything an investigator or accreditation body asks for about one article, as plain data.

    Every version with its full content and who saved it and why; the word-level differences
    between consecutive versions (clinical changes marked); every sign-off with its statement
    and whether it still verifies; comments and their resolution; conflicts declared by the
    reviewers; the references cited; the audit trail and whether its chain verifies.
    """
    from reviews.diff import diff_fields, diff_versions, plain_fields

    versions = list(
        article.history.select_related("history_user").order_by("version", "history_id")
    )
    version_rows = []
    for previous, current in zip([None, *versions], versions, strict=False):
        changes = []
        if previous is not None:
            changes = [
                {
                    "field": d.audience,
                    "html": str(d.html),
                    "clinical": [
                        {"old": c.old, "new": c.new, "reasons": list(c.reasons)}
                        for c in d.clinical_changes
                    ],
                }
                for d in [
                    *diff_fields(plain_fields(previous), plain_fields(current)),
                    *diff_versions(previous.texts, current.texts),
                ]
                if d.changed
            ]
        version_rows.append(
            {
                "version": current.version,
                "content_hash": current.content_hash,
                "saved_at": current.history_date.isoformat(),
                "saved_by": current.history_user.get_username() if current.history_user else None,
                "reason": current.history_change_reason or "",
                "weight": current.change_weight,
                "title": current.title,
                "summary": current.summary,
                "texts": current.texts,
                "citation_keys": current.citation_keys,
                "related_ids": current.related_ids,
                "changes_from_previous": changes,
            }
        )
    hashes = {v.version: v.content_hash for v in versions}
    signoffs = list(
        SignOff.objects.filter(article=article)
        .select_related("reviewer__reviewer_profile")
        .order_by("pk")
    )
    references = references_for_keys({key for v in versions for key in (v.citation_keys or [])})
    comments = list(
        ReviewComment.objects.filter(article=article)
        .select_related("author", "resolution__resolved_by")
        .order_by("pk")
    )
    events = list(AuditEvent.objects.filter(article=article).select_related("actor").order_by("pk"))
    breaks = [str(b) for b in chain_breaks(article_ids=[article.pk])]
    reviewers = {s.reviewer_id: s.reviewer for s in signoffs}
    return {
        "article": {
            "id": article.pk,
            "slug": article.slug,
            "title": article.title,
            "current_version": article.version,
            "content_hash": article.content_hash,
            "live_version": article.live_version.version if article.live_version_id else None,
            "live_pending_review": article.live_pending_review,
            "state": article.workflow.state,
            "review_cycle": article.workflow.cycle,
            "approvals_needed": article.workflow.approvals_needed,
            "last_reviewed_on": article.workflow.last_reviewed_on.isoformat()
            if article.workflow.last_reviewed_on
            else None,
            "next_review_due": article.workflow.next_review_due.isoformat()
            if article.workflow.next_review_due
            else None,
            "authors": [a.get_username() for a in article.authors.all()],
        },
        "versions": version_rows,
        "signoffs": [
            {
                "id": s.pk,
                "reviewer": s.reviewer.get_username(),
                "printed_name": s.printed_name,
                "credentials": s.credentials,
                "meaning": s.meaning,
                "meaning_label": s.get_meaning_display(),
                "statement": s.statement,
                "note": s.note,
                "signed_at": s.signed_at.isoformat(),
                "version": s.version,
                "content_hash": s.content_hash,
                "cycle": s.cycle,
                "record_verifies": s.verify(),
                "matches_version": hashes.get(s.version) == s.content_hash,
                "chain_hash": s.chain_hash,
            }
            for s in signoffs
        ],
        "conflicts_declared": [
            {
                "reviewer": user.get_username(),
                "name": getattr(
                    getattr(user, "reviewer_profile", None), "signature_name", user.get_username()
                ),
                "conflicts_of_interest": getattr(
                    getattr(user, "reviewer_profile", None), "conflicts_of_interest", ""
                ),
            }
            for user in reviewers.values()
        ],
        "comments": [
            {
                "id": c.pk,
                "parent": c.parent_id,
                "author": c.author.get_username(),
                "version": c.version,
                "audience": c.audience,
                "quote": c.quote,
                "body": c.body,
                "created_at": c.created_at.isoformat(),
                "resolved": (
                    {
                        "by": c.resolution.resolved_by.get_username(),
                        "at": c.resolution.resolved_at.isoformat(),
                        "note": c.resolution.note,
                    }
                    if hasattr(c, "resolution")
                    else None
                ),
            }
            for c in comments
        ],
        "references": [
            {
                "citekey": r.citekey,
                "kind": r.kind,
                "title": r.title,
                "year": r.year,
                "doi": r.doi,
                "pmid": r.pmid,
                "pmcid": r.pmcid,
                "retracted_on": r.retracted_on.isoformat() if r.retracted_on else None,
                "superseded_by": r.superseded_by_id,
            }
            for r in sorted(
                {r.pk: r for r in references.values()}.values(), key=lambda r: r.citekey
            )
        ],
        "audit_trail": [
            {
                "id": e.pk,
                "at": e.created_at.isoformat(),
                "actor": e.actor.get_username() if e.actor else None,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "version": e.version,
                "content_hash": e.content_hash,
                "note": e.note,
                "chain_hash": e.chain_hash,
            }
            for e in events
        ],
        "audit_chain_verifies": not breaks,
        "audit_chain_breaks": breaks,
    }
