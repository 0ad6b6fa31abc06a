"""Writes for the editorial process. Every workflow change goes through `transition_apply`.

Each service is atomic and locks the article row first (then its workflow row), always in that
order, so two requests on one article serialise on PostgreSQL instead of racing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.lockout import lock_explain
from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.audiences import audience_keys
from articles.models import Article, ChangeWeight
from articles.services import citation_links_set, renditions_get_or_create
from reviews import notifications
from reviews.models import (
    ArticleWorkflow,
    Assignment,
    AuditEvent,
    CheckWaiver,
    CommentResolution,
    Meaning,
    ReviewComment,
    SignOff,
    State,
)
from reviews.selectors import approvals_among, roles_for, valid_approvals
from reviews.workflow import (
    TRANSITIONS,
    Context,
    Transition,
    signing_facts,
    signoffs_on_current_hash,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class WorkflowError(Exception):
    """A domain refusal the user can act on: illegal in this state, or guards failed."""

    def __init__(self, action: str, reasons: Iterable[str], *, code: str = "guard_failed") -> None:
        self.action = action
        self.reasons = list(reasons)
        self.code = code
        super().__init__(f"{action}: " + " ".join(self.reasons))


class EditConflict(Exception):
    """The edit started from a version that is no longer the current one."""

    def __init__(self, *, article: Article, base_version: int) -> None:
        self.article = article
        self.base_version = base_version
        super().__init__(
            f"The article is at version {article.version}; your edit started from "
            f"version {base_version}."
        )


def _locked(article: Article) -> tuple[Article, ArticleWorkflow]:
    locked = Article.objects.select_for_update().get(pk=article.pk)
    workflow = ArticleWorkflow.objects.select_for_update().get(article=locked)
    return locked, workflow


def _audit(
    *,
    article: Article,
    actor: AbstractBaseUser | None,
    action: str,
    from_state: str,
    to_state: str,
    note: str = "",
    previous: str | None = None,
) -> AuditEvent:
    """Append an audit event; the caller holds the article's row lock (and may know the chain's
    head, read under that lock)."""
    return AuditEvent.append(
        previous=previous,
        article=article,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        version=article.version,
        content_hash=article.content_hash,
        note=note,
    )


def _current_snapshot(article: Article) -> Any:
    return article.history.filter(version=article.version).order_by("-history_id").first()


# --- transition effects: what each row does beyond moving the state ---------------------------

Effect = Callable[[Context, Transition, str], State]


def _effect_submit(ctx: Context, transition: Transition, note: str) -> State:
    if ctx.workflow.state == State.DRAFT:
        ctx.workflow.cycle += 1
        ctx.workflow.cycle_started_at = timezone.now()
    return State.SUBMITTED


def _effect_start_review(ctx: Context, transition: Transition, note: str) -> State:
    due_on: date | None = ctx.params.get("due_on")
    for reviewer in ctx.params.get("reviewers") or ():
        if ROLE_GROUPS[Role.REVIEWER] not in user_group_names(reviewer):
            raise WorkflowError(transition.name, [f"{reviewer} is not a medical reviewer."])
        assignment, created = Assignment.objects.get_or_create(
            article=ctx.article,
            cycle=ctx.workflow.cycle,
            reviewer=reviewer,
            defaults={"assigned_by": ctx.user, "due_on": due_on},
        )
        if created:
            notifications.notify_assigned(assignment=assignment)
    return State.UNDER_REVIEW


def _sign(ctx: Context, transition: Transition, note: str) -> SignOff:
    profile = ctx.user.reviewer_profile
    assert transition.signs is not None
    signoff = SignOff.append(
        previous=signing_facts(ctx).signoff_head,
        article=ctx.article,
        version=ctx.article.version,
        content_hash=ctx.article.content_hash,
        cycle=ctx.workflow.cycle,
        reviewer=ctx.user,
        printed_name=profile.display_name,
        credentials=profile.credentials,
        meaning=transition.signs,
        statement=signature_statement(article=ctx.article, meaning_label=transition.signs.label),
        note=note,
    )
    notifications.notify_decision(signoff=signoff)
    return signoff


def _effect_approve(ctx: Context, transition: Transition, note: str) -> State:
    """Sign; the state becomes Approved only once the quorum of approvals on this hash is met."""
    signoff = _sign(ctx, transition, note)
    if (
        len(approvals_among([*signoffs_on_current_hash(ctx), signoff]))
        < ctx.workflow.approvals_needed
    ):
        return State.UNDER_REVIEW
    # Re-approving a typo fix confirms the fix; it is not a new review of the whole article, so
    # it moves neither "last reviewed" nor the next review date.
    if not signing_facts(ctx).only_minor_changes_since_approval:
        today = timezone.localdate()
        interval = ctx.workflow.review_interval_days
        if interval is None:
            interval = settings.EDITORIAL_REVIEW_INTERVAL_DAYS
        ctx.workflow.last_reviewed_on = today
        ctx.workflow.next_review_due = today + timedelta(days=interval)
    return State.APPROVED


def _effect_request_changes(ctx: Context, transition: Transition, note: str) -> State:
    _sign(ctx, transition, note)
    return State.CHANGES_REQUESTED


def _set_live(article: Article, *, pending: bool) -> None:
    """Point readers at the current frozen version, rendered now for every audience.

    Rendering at publication means the citations are resolved against the library as it is
    when the version goes live, and no reader ever waits for a render.
    """
    snapshot = _current_snapshot(article)
    cited = {
        c["reference_id"]
        for rendition in renditions_get_or_create(
            version=snapshot, audiences=audience_keys()
        ).values()
        for c in rendition.citations
        if c.get("reference_id")
    }
    citation_links_set(article=article, reference_ids=cited)
    article.live_version = snapshot
    article.live_pending_review = pending
    article.published_at = timezone.now()
    article.save(update_fields=["live_version", "live_pending_review", "published_at"])


def _effect_publish(ctx: Context, transition: Transition, note: str) -> State:
    _set_live(ctx.article, pending=False)
    ctx.workflow.publish_at = None
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_publish_pending(ctx: Context, transition: Transition, note: str) -> State:
    _set_live(ctx.article, pending=True)
    return ctx.workflow.state  # type: ignore[return-value]


def _take_down(ctx: Context) -> None:
    if ctx.article.live_version_id:
        citation_links_set(article=ctx.article, reference_ids=())
        ctx.article.live_version = None
        ctx.article.live_pending_review = False
        ctx.article.save(update_fields=["live_version", "live_pending_review"])


def _effect_unpublish(ctx: Context, transition: Transition, note: str) -> State:
    _take_down(ctx)
    ctx.workflow.unpublish_at = None
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_retire(ctx: Context, transition: Transition, note: str) -> State:
    _take_down(ctx)
    ctx.workflow.publish_at = ctx.workflow.unpublish_at = None
    return State.RETIRED


def _effect_schedule_publish(ctx: Context, transition: Transition, note: str) -> State:
    ctx.workflow.publish_at = ctx.params["when"]
    ctx.workflow.scheduled_by = ctx.user
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_schedule_unpublish(ctx: Context, transition: Transition, note: str) -> State:
    ctx.workflow.unpublish_at = ctx.params["when"]
    ctx.workflow.scheduled_by = ctx.user
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_cancel_schedule(ctx: Context, transition: Transition, note: str) -> State:
    ctx.workflow.publish_at = ctx.workflow.unpublish_at = None
    return ctx.workflow.state  # type: ignore[return-value]


EFFECTS: dict[str, Effect] = {
    "schedule_publish": _effect_schedule_publish,
    "schedule_unpublish": _effect_schedule_unpublish,
    "cancel_schedule": _effect_cancel_schedule,
    "submit": _effect_submit,
    "start_review": _effect_start_review,
    "approve": _effect_approve,
    "request_changes": _effect_request_changes,
    "publish": _effect_publish,
    "publish_pending_review": _effect_publish_pending,
    "unpublish": _effect_unpublish,
    "retire": _effect_retire,
}


def signature_statement(*, article: Article, meaning_label: str) -> str:
    """The exact words a reviewer signs, naming the version and its hash."""
    return (
        f"I have reviewed the whole of “{article.title}”, version {article.version} "
        f"(SHA-256 {article.content_hash}), in every audience's text, and sign it as: "
        f"{meaning_label}."
    )


def transition_apply(
    *,
    article: Article,
    user: AbstractBaseUser,
    action: str,
    note: str = "",
    password: str | None = None,
    params: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> ArticleWorkflow:
    """Apply one row of the transition table, atomically, and append its audit event.

    Raises PermissionDenied when the user holds no role the row names, and WorkflowError when the
    row does not start from the current state, the signer's password is wrong or their sign-in
    is locked, or a guard fails (with every reason). `request` is the signer's, so the sign-in
    lockout counts and applies at their address.
    """
    transition = TRANSITIONS.get(action)
    if transition is None or transition.content:
        raise WorkflowError(action, [f"There is no workflow action “{action}”."], code="unknown")
    if transition.signs:
        # Before the transaction, through the authentication backends (not check_password()): a
        # wrong signing password is recorded towards the sign-in lockout even though the action
        # is refused, and a locked account cannot sign from a session it already has. Callers
        # outside any request (the demo loader, the shell) sign through a bare one: no address,
        # but counted and locked all the same.
        request = request or HttpRequest()
        signer = (
            authenticate(request, username=user.get_username(), password=password)
            if password
            else None
        )
        if signer is None and (lock := lock_explain(request, user.get_username())):
            raise WorkflowError(
                action, [f"{lock.message()} Nothing was signed."], code="locked_out"
            )
        if signer is None or signer.pk != user.pk:
            raise WorkflowError(
                action, ["Your password was not correct; nothing was signed."], code="reauth"
            )
    return _transition_apply(
        article=article, user=user, transition=transition, note=note, params=params or {}
    )


@transaction.atomic
def _transition_apply(
    *,
    article: Article,
    user: AbstractBaseUser,
    transition: Transition,
    note: str,
    params: Mapping[str, Any],
) -> ArticleWorkflow:
    action = transition.name
    article, workflow = _locked(article)
    roles = authorize(user=user, article=article, workflow=workflow, action=action)
    # A signature binds the version the reviewer read; without its hash the service would bind
    # whatever is current when the request arrives, which may be text they never saw.
    if transition.signs and not (params or {}).get("content_hash"):
        raise WorkflowError(
            action,
            ["Say which version you reviewed (its content hash); nothing was signed."],
            code="version_required",
        )
    if transition.needs_note and not note.strip():
        raise WorkflowError(action, ["Give a note explaining this decision."], code="note_required")
    ctx = Context(article=article, workflow=workflow, user=user, roles=roles, params=params or {})
    reasons = [reason for guard in transition.guards for reason in guard(ctx)]
    if reasons:
        raise WorkflowError(action, reasons)

    from_state = workflow.state
    effect = EFFECTS.get(action)
    target = effect(ctx, transition, note) if effect else transition.target
    assert target is not None
    if target != from_state:
        workflow.state = target
        workflow.state_changed_at = timezone.now()
    workflow.save()
    # The signing facts were read under this transaction's lock, so their head is still the head.
    head = ctx.memo["signing_facts"].audit_head if "signing_facts" in ctx.memo else None
    _audit(
        article=article,
        actor=user,
        action=action,
        from_state=from_state,
        to_state=target,
        note=note,
        previous=head,
    )
    return workflow


# --- content: drafts are written here because every edit is also a workflow event -------------


def authorize(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow, action: str
) -> frozenset[Role]:
    """Check one row of the table for this user and state; return the user's roles.

    PermissionDenied when the user holds none of the row's roles (403); WorkflowError
    "illegal_state" when the row does not start from the article's state (409).
    """
    row = TRANSITIONS[action]
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles & row.roles:
        raise PermissionDenied(f"You may not take the action “{row.label}” on this article.")
    if workflow.state not in row.sources:
        raise WorkflowError(
            action,
            [
                f"“{row.label}” is not possible while the article is "
                f"{workflow.get_state_display().lower()}."
            ],
            code="illegal_state",
        )
    return roles


def _apply_content(article: Article, fields: Mapping[str, Any]) -> None:
    allowed = {"title", "summary", "texts", "related_ids", "sources"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown content field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(article, name, value)


@transaction.atomic
def draft_create(
    *,
    user: AbstractBaseUser,
    slug: str,
    title: str,
    summary: str = "",
    texts: Mapping[str, str] | None = None,
    related_ids: Iterable[int] = (),
    sources: Iterable[str] = (),
    change_reason: str = "First version.",
    high_risk: bool = False,
) -> Article:
    """Create an article as a draft, with the user as its author."""
    groups = user_group_names(user)
    if not groups & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.EDITOR]}:
        raise PermissionDenied("Only authors and editors create articles.")
    article = Article(
        slug=slug,
        title=title,
        summary=summary,
        texts=dict(texts or {}),
        related_ids=list(related_ids),
        sources=list(sources),
    )
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    article.authors.add(user)
    ArticleWorkflow.objects.create(
        article=article, high_risk=high_risk, required_approvals=2 if high_risk else 1
    )
    _audit(
        article=article,
        actor=user,
        action="create",
        from_state=State.DRAFT,
        to_state=State.DRAFT,
        note=change_reason,
    )
    return article


@transaction.atomic
def draft_update(
    *,
    article: Article,
    user: AbstractBaseUser,
    base_version: int,
    fields: Mapping[str, Any],
    change_reason: str,
    change_weight: str = ChangeWeight.SUBSTANTIVE,
) -> Article:
    """Save an edit to the working draft.

    Refused with EditConflict when `base_version` is not the current version. A content change
    after a sign-off voids it: an approved article goes back under review and the audit trail says
    why. A save that changes nothing makes no version and voids nothing.
    """
    article, workflow = _locked(article)
    authorize(user=user, article=article, workflow=workflow, action="edit")
    if article.version != base_version:
        raise EditConflict(article=article, base_version=base_version)
    return _save_content(
        article=article,
        workflow=workflow,
        user=user,
        fields=fields,
        change_reason=change_reason,
        change_weight=change_weight,
    )


@transaction.atomic
def version_revert(
    *, article: Article, user: AbstractBaseUser, to_version: int, base_version: int
) -> Article:
    """Restore the content of an earlier version as a new version, which must be reviewed again."""
    article, workflow = _locked(article)
    authorize(user=user, article=article, workflow=workflow, action="revert")
    if article.version != base_version:
        raise EditConflict(article=article, base_version=base_version)
    snapshot = article.history.filter(version=to_version).first()
    if snapshot is None:
        raise WorkflowError(
            "revert", [f"There is no version {to_version}."], code="unknown_version"
        )
    fields = {
        name: getattr(snapshot, name)
        for name in ("title", "summary", "texts", "related_ids", "sources")
    }
    try:
        return _save_content(
            article=article,
            workflow=workflow,
            user=user,
            fields=fields,
            change_reason=f"Restored version {to_version}.",
            change_weight=ChangeWeight.SUBSTANTIVE,
        )
    except ValidationError as error:
        # An old version can be invalid today (a source it lists has left the library since):
        # a refusal the user can act on, not a crash.
        raise WorkflowError(
            "revert",
            [f"Version {to_version} cannot be restored as it was: {' '.join(error.messages)}"],
            code="invalid_content",
        ) from error


def _save_content(
    *,
    article: Article,
    workflow: ArticleWorkflow,
    user: AbstractBaseUser,
    fields: Mapping[str, Any],
    change_reason: str,
    change_weight: str,
) -> Article:
    if not change_reason.strip():
        raise ValidationError({"change_reason": "Say why you made this change."})
    if change_weight not in ChangeWeight.values:
        raise ValidationError(
            {"change_weight": f"Choose one of: {', '.join(ChangeWeight.values)}."}
        )
    previous_hash = article.content_hash
    voided = valid_approvals(article=article, workflow=workflow)
    _apply_content(article, fields)
    article.change_weight = change_weight
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    if article.content_hash == previous_hash:
        return article
    from_state = workflow.state
    if voided or from_state == State.APPROVED:
        if from_state == State.APPROVED:
            workflow.state = State.UNDER_REVIEW
            workflow.state_changed_at = timezone.now()
        # A schedule was made for the signed version; it must not publish the changed one.
        workflow.publish_at = None
        workflow.save()
        _audit(
            article=article,
            actor=user,
            action="void_approvals",
            from_state=from_state,
            to_state=workflow.state,
            note=f"Approval voided by change in version {article.version} "
            f"({ChangeWeight(change_weight).label.lower()}): {change_reason}",
        )
        if voided:
            notifications.notify_approvals_voided(
                article=article, signoffs=voided, reason=change_reason
            )
    return article


# --- review comments -----------------------------------------------------------------------------


def _check_participant(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles:
        raise PermissionDenied(
            "Only the article's authors, its reviewers and editors comment on it."
        )
    return roles


@transaction.atomic
def comment_create(
    *, article: Article, user: AbstractBaseUser, body: str, audience: str = "", quote: str = ""
) -> ReviewComment:
    """Comment on a passage of one audience's text (or on the whole article)."""
    article, workflow = _locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    body, quote = body.strip(), quote.strip()
    errors = {}
    if not body:
        errors["body"] = "Write the comment."
    if audience and audience not in audience_keys():
        errors["audience"] = f"“{audience}” is not an audience."
    elif quote:
        haystack = (
            " ".join(article.texts.get(audience, "").split())
            if audience
            else " ".join(" ".join(t.split()) for t in article.texts.values())
        )
        if " ".join(quote.split()) not in haystack:
            where = f"the {audience} text" if audience else "the article"
            errors["quote"] = f"The quoted passage is not in {where} (version {article.version})."
    if errors:
        raise ValidationError(errors)
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        version=article.version,
        audience=audience,
        quote=quote,
        body=body,
        author=user,
    )


@transaction.atomic
def comment_reply(
    *, article: Article, user: AbstractBaseUser, comment_id: int, body: str
) -> ReviewComment:
    article, workflow = _locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    root = ReviewComment.objects.filter(pk=comment_id, article=article, parent__isnull=True).first()
    if root is None:
        raise WorkflowError(
            "reply", ["There is no such comment on this article."], code="unknown_comment"
        )
    if not body.strip():
        raise ValidationError({"body": "Write the reply."})
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        version=article.version,
        audience=root.audience,
        body=body.strip(),
        author=user,
        parent=root,
    )


@transaction.atomic
def comment_resolve(
    *, article: Article, user: AbstractBaseUser, comment_id: int, note: str = ""
) -> CommentResolution:
    """Close a thread. Its writer or an editor may; an author cannot wave a reviewer's point away."""
    article, workflow = _locked(article)
    roles = _check_participant(user=user, article=article, workflow=workflow)
    root = ReviewComment.objects.filter(pk=comment_id, article=article, parent__isnull=True).first()
    if root is None:
        raise WorkflowError(
            "resolve", ["There is no such comment on this article."], code="unknown_comment"
        )
    if root.author_id != user.pk and Role.EDITOR not in roles:
        raise PermissionDenied("Only the comment's writer or an editor resolves it.")
    if CommentResolution.objects.filter(comment=root).exists():
        raise WorkflowError("resolve", ["This comment is already resolved."], code="illegal_state")
    return CommentResolution.objects.create(comment=root, resolved_by=user, note=note.strip())


# --- scheduled publication -------------------------------------------------------------------------


def scheduled_actions_apply(*, now: Any = None) -> list[str]:
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
def _apply_schedule(*, article_id: int, now: Any) -> str | None:
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
        _audit(
            article=article,
            actor=workflow.scheduled_by,
            action=f"scheduled_{action}_failed",
            from_state=workflow.state,
            to_state=workflow.state,
            note=str(error),
        )
        return f"{article.slug}: {action} refused: {error}"
    return f"{article.slug}: {action} done"


# --- reminders ---------------------------------------------------------------------------------------


def review_reminders_send(*, days_ahead: int = 14, today: Any = None) -> dict[str, int]:
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
        emails += 1
    return {"rereviews": len(due), "overdue": len(overdue), "emails": emails}


# --- check waivers -----------------------------------------------------------------------------------


@transaction.atomic
def check_waive(
    *, article: Article, user: AbstractBaseUser, check_key: str, reason: str
) -> CheckWaiver:
    """Record why a recommended check may fail on this exact version; a later change needs a new one."""
    from reviews.checks import article_checks

    article, workflow = _locked(article)
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles & {Role.AUTHOR, Role.EDITOR}:
        raise PermissionDenied(
            "Only the article's authors and editors record why a check may fail."
        )
    result = next((c for c in article_checks(article=article) if c.key == check_key), None)
    if result is None:
        raise WorkflowError("waive", [f"There is no check “{check_key}”."], code="unknown_check")
    if not result.waivable:
        why = (
            "it passes"
            if result.passed
            else ("it is required" if result.level == "required" else "it is already waived")
        )
        raise WorkflowError(
            "waive", [f"“{result.label}” cannot be waived: {why}."], code="not_waivable"
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why it is right to go ahead."})
    waiver = CheckWaiver.objects.create(
        article=article,
        version=article.version,
        content_hash=article.content_hash,
        check_key=check_key,
        reason=reason.strip(),
        waived_by=user,
    )
    _audit(
        article=article,
        actor=user,
        action="waive_check",
        from_state=workflow.state,
        to_state=workflow.state,
        note=f"{result.label}: {reason.strip()}",
    )
    return waiver


# --- evidence alerts ---------------------------------------------------------------------------------


def articles_citing(reference: Any) -> list[Article]:
    """Every article whose working or live version cites the reference (by any of its keys)."""
    keys = set(reference.marker_keys)
    citing = []
    for article in (
        Article.objects.select_related("live_version", "workflow")
        .only(
            "slug",
            "title",
            "citation_keys",
            "sources",
            "version",
            "content_hash",
            "live_version__citation_keys",
            "live_version__sources",
            "live_version__version",
            "live_version__content_hash",
            "workflow__state",
            "workflow__next_review_due",
            "workflow__id",
        )
        .iterator(chunk_size=500)
    ):
        # Listed sources count: readers see them as further reading.
        used = {*article.citation_keys, *article.sources}
        if article.live_version_id:
            used |= {*article.live_version.citation_keys, *(article.live_version.sources or ())}
        if keys & used:
            citing.append(article)
    return citing


@transaction.atomic
def reference_flag(
    *,
    reference: Any,
    user: AbstractBaseUser,
    retracted_on: date | None = None,
    retraction_notice_url: str = "",
    superseded_by: Any = None,
) -> list[Article]:
    """Mark a reference retracted or superseded, and flag every article that cites it.

    Published citing articles become due for re-review today, get an audit event saying why,
    and the editors are mailed. Returns the flagged articles.
    """
    if ROLE_GROUPS[Role.EDITOR] not in user_group_names(user):
        raise PermissionDenied("Only editors change the status of library references.")
    if retracted_on is None and superseded_by is None:
        raise ValidationError("Say whether the reference was retracted or superseded.")
    if retracted_on is not None:
        reference.retracted_on = retracted_on
        reference.retraction_notice_url = retraction_notice_url
        why = f"cited source {reference.citekey} was retracted on {retracted_on:%d %B %Y}"
    else:
        reference.superseded_by = superseded_by
        why = f"cited source {reference.citekey} is superseded by {superseded_by.citekey}"
    reference.full_clean()
    reference._history_user = user  # type: ignore[attr-defined]
    reference.save()
    today = timezone.localdate()
    citing = articles_citing(reference)
    # The audit events below extend each article's chain: hold the rows' locks (in id order).
    list(
        Article.objects.select_for_update()
        .filter(pk__in=[a.pk for a in citing])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for article in citing:
        workflow = article.workflow
        if article.live_version_id and (
            workflow.next_review_due is None or workflow.next_review_due > today
        ):
            workflow.next_review_due = today
            workflow.save(update_fields=["next_review_due"])
        _audit(
            article=article,
            actor=user,
            action="evidence_alert",
            from_state=workflow.state,
            to_state=workflow.state,
            note=f"Re-review needed: {why}.",
        )
    if citing:
        notifications.notify_evidence_alert(reason=why, articles=citing)
    return citing


@transaction.atomic
def article_topics_set(*, article: Article, user: AbstractBaseUser, topics: Iterable[Any]) -> None:
    """File the article under topics. Not content: no version, no review; an audit event."""
    article, workflow = _locked(article)
    if not roles_for(user=user, article=article, workflow=workflow) & {Role.AUTHOR, Role.EDITOR}:
        raise PermissionDenied("Only the article's authors and editors file it under topics.")
    before = set(article.topics.values_list("name", flat=True))
    article.topics.set(list(topics))
    after = set(article.topics.values_list("name", flat=True))
    if before != after:
        _audit(
            article=article,
            actor=user,
            action="topics",
            from_state=workflow.state,
            to_state=workflow.state,
            note=f"Topics: {', '.join(sorted(after)) or 'none'}.",
        )
