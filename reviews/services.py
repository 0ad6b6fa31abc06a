"""Writes for the editorial process. Every workflow change goes through `transition_apply`.

Each service is atomic and locks the article row first (then its workflow row), always in that
order, so two requests on one article serialise on PostgreSQL instead of racing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from articles.audiences import audience_keys
from articles.models import Article, ChangeWeight
from articles.services import rendition_get_or_create

from .models import ArticleWorkflow, Assignment, AuditEvent, SignOff, State
from .selectors import roles_for, user_group_names, valid_approvals
from .workflow import ROLE_GROUPS, TRANSITIONS, Context, Role, Transition

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
) -> AuditEvent:
    return AuditEvent.objects.create(
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
        Assignment.objects.get_or_create(
            article=ctx.article,
            cycle=ctx.workflow.cycle,
            reviewer=reviewer,
            defaults={"assigned_by": ctx.user, "due_on": due_on},
        )
    return State.UNDER_REVIEW


def _sign(ctx: Context, transition: Transition, note: str) -> SignOff:
    profile = ctx.user.reviewer_profile
    assert transition.signs is not None
    return SignOff.objects.create(
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


def _effect_approve(ctx: Context, transition: Transition, note: str) -> State:
    """Sign; the state becomes Approved only once the quorum of approvals on this hash is met."""
    _sign(ctx, transition, note)
    if len(valid_approvals(article=ctx.article, workflow=ctx.workflow)) < ctx.workflow.approvals_needed:
        return State.UNDER_REVIEW
    today = timezone.localdate()
    interval = ctx.workflow.review_interval_days or settings.EDITORIAL_REVIEW_INTERVAL_DAYS
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
    for audience in audience_keys():
        rendition_get_or_create(version=snapshot, audience=audience)
    article.live_version = snapshot
    article.live_pending_review = pending
    article.published_at = timezone.now()
    article.save(update_fields=["live_version", "live_pending_review", "published_at"])


def _effect_publish(ctx: Context, transition: Transition, note: str) -> State:
    _set_live(ctx.article, pending=False)
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_publish_pending(ctx: Context, transition: Transition, note: str) -> State:
    _set_live(ctx.article, pending=True)
    return ctx.workflow.state  # type: ignore[return-value]


def _take_down(ctx: Context) -> None:
    if ctx.article.live_version_id:
        ctx.article.live_version = None
        ctx.article.live_pending_review = False
        ctx.article.save(update_fields=["live_version", "live_pending_review"])


def _effect_unpublish(ctx: Context, transition: Transition, note: str) -> State:
    _take_down(ctx)
    return ctx.workflow.state  # type: ignore[return-value]


def _effect_retire(ctx: Context, transition: Transition, note: str) -> State:
    _take_down(ctx)
    return State.RETIRED


EFFECTS: dict[str, Effect] = {
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


@transaction.atomic
def transition_apply(
    *,
    article: Article,
    user: AbstractBaseUser,
    action: str,
    note: str = "",
    password: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> ArticleWorkflow:
    """Apply one row of the transition table, atomically, and append its audit event.

    Raises PermissionDenied when the user holds no role the row names, and WorkflowError when the
    row does not start from the current state or a guard fails (with every reason).
    """
    transition = TRANSITIONS.get(action)
    if transition is None or action == "edit":
        raise WorkflowError(action, [f"There is no workflow action “{action}”."], code="unknown")
    article, workflow = _locked(article)
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles & transition.roles:
        raise PermissionDenied(f"You may not {transition.label.lower()} this article.")
    if workflow.state not in transition.sources:
        raise WorkflowError(
            action,
            [f"“{transition.label}” is not possible while the article is {workflow.get_state_display().lower()}."],
            code="illegal_state",
        )
    if transition.signs and not (password and user.check_password(password)):
        raise WorkflowError(action, ["Your password was not correct; nothing was signed."], code="reauth")
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
    _audit(article=article, actor=user, action=action, from_state=from_state, to_state=target, note=note)
    return workflow


# --- content: drafts are written here because every edit is also a workflow event -------------


def _check_can_edit(*, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow) -> None:
    edit = TRANSITIONS["edit"]
    if not roles_for(user=user, article=article, workflow=workflow) & edit.roles:
        raise PermissionDenied("You may not edit this article.")
    if workflow.state not in edit.sources:
        raise WorkflowError(
            "edit",
            [f"A {workflow.get_state_display().lower()} article cannot be edited; reopen it first."],
            code="illegal_state",
        )


def _apply_content(article: Article, fields: Mapping[str, Any]) -> None:
    allowed = {"title", "summary", "texts", "related_ids"}
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
    change_reason: str = "First version.",
    high_risk: bool = False,
) -> Article:
    """Create an article as a draft, with the user as its author."""
    groups = user_group_names(user)
    if not groups & {ROLE_GROUPS[Role.AUTHOR], ROLE_GROUPS[Role.EDITOR]}:
        raise PermissionDenied("Only authors and editors create articles.")
    article = Article(slug=slug, title=title, summary=summary, texts=dict(texts or {}),
                      related_ids=list(related_ids))
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    article.authors.add(user)
    ArticleWorkflow.objects.create(article=article, high_risk=high_risk,
                                   required_approvals=2 if high_risk else 1)
    _audit(article=article, actor=user, action="create", from_state=State.DRAFT,
           to_state=State.DRAFT, note=change_reason)
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
    _check_can_edit(user=user, article=article, workflow=workflow)
    if article.version != base_version:
        raise EditConflict(article=article, base_version=base_version)
    if not change_reason.strip():
        raise ValidationError({"change_reason": "Say why you made this change."})
    previous_hash = article.content_hash
    had_approvals = bool(valid_approvals(article=article, workflow=workflow))
    _apply_content(article, fields)
    article.change_weight = change_weight
    article.full_clean()
    article._history_user = user  # type: ignore[attr-defined]
    article._change_reason = change_reason  # type: ignore[attr-defined]
    article.save()
    if article.content_hash == previous_hash:
        return article
    from_state = workflow.state
    if had_approvals or from_state == State.APPROVED:
        if from_state == State.APPROVED:
            workflow.state = State.UNDER_REVIEW
            workflow.state_changed_at = timezone.now()
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
    return article
