"""Applying the workflow table: the one place a row is taken and the state is moved.

`transition_apply` takes a workflow row for a user; `content_change_record` applies what a content
row (edit, revert) declares about a change of text. Both end in `_move`, the only code that
assigns `ArticleWorkflow.state` (the model refuses any other assignment), and which appends the
audit event of the move in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.lockout import lock_explain
from accounts.roles import Role
from articles.models import Article
from reviews.guards import FOLLOW_UP_EVENTS, Context
from reviews.models import ArticleWorkflow, SignOff
from reviews.selectors.roles import roles_for
from reviews.services.errors import WorkflowError
from reviews.services.records import article_locked, audit_append
from reviews.transition import Transition
from reviews.workflow import TRANSITIONS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
    is locked, a required input is missing, or a guard fails (with every reason). `request` is
    the signer's, so the sign-in lockout counts and applies at their address.
    """
    transition = TRANSITIONS.get(action)
    if transition is None or transition.content:
        raise WorkflowError(action, [f"There is no workflow action “{action}”."], code="unknown")
    password_input = transition.input("password")
    if password_input is not None:
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
            raise WorkflowError(action, [password_input.missing], code=password_input.code)
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
    article, workflow = article_locked(article)
    roles = authorize(user=user, article=article, workflow=workflow, action=action)
    # The inputs the row requires, in the order it declares them. A signature binds the version
    # the reviewer read; without its hash the service would bind whatever is current when the
    # request arrives, which may be text they never saw.
    for spec in transition.inputs:
        if not spec.required or not spec.missing or spec.name == "password":
            continue
        value = params.get(spec.name) if spec.in_params else note.strip()
        if not value:
            raise WorkflowError(action, [spec.missing], code=spec.code)
    ctx = Context(article=article, workflow=workflow, user=user, roles=roles, params=params)
    # Two guards may say the same thing (the checks and the publication guard on a retraction).
    reasons = list(dict.fromkeys(reason for guard in transition.guards for reason in guard(ctx)))
    if reasons:
        raise WorkflowError(action, reasons)
    _move(ctx, transition, note=note)
    return workflow


def content_change_record(
    *,
    article: Article,
    workflow: ArticleWorkflow,
    user: AbstractBaseUser,
    action: str,
    voided: list[SignOff],
    change_reason: str,
    note: str,
) -> None:
    """Apply what a content row declares about a change of text that was just saved.

    The caller (a content service) holds the rows' locks and has authorised the row. When the
    change voided approvals, or the row sends the article elsewhere from its state (approved
    content goes back under review), the row's effect runs, the state moves and the audit trail
    says why, as "void_approvals"; otherwise the version history records the change alone.
    """
    transition = TRANSITIONS[action]
    if not voided and transition.target_for(workflow.state) == workflow.state:
        return
    roles = roles_for(user=user, article=article, workflow=workflow)
    ctx = Context(
        article=article,
        workflow=workflow,
        user=user,
        roles=roles,
        params={"voided": voided, "change_reason": change_reason},
    )
    _move(ctx, transition, note=note, audit_action="void_approvals")


def _move(
    ctx: Context, transition: Transition, *, note: str, audit_action: str | None = None
) -> None:
    """Run the row's effect, move the state where the row leads, save, and append the audit event."""
    workflow = ctx.workflow
    from_state = workflow.state
    target = transition.target_for(from_state)
    held = transition.effect(ctx, transition, note) if transition.effect else None
    if held is not None:
        # An effect may hold the article where it is (an approval short of the quorum), or send
        # it where the row declares it otherwise goes; never anywhere the table does not say.
        if held not in {from_state, transition.otherwise_by_source.get(from_state)}:
            raise RuntimeError(f"{transition.name}: its effect chose {held}, not in the table.")
        target = held
    if target != from_state:
        with workflow.moving():
            workflow.state = target
        workflow.state_changed_at = timezone.now()
    workflow.save()
    # The signing facts were read under this transaction's lock, so their head is still the head.
    head = ctx.memo["signing_facts"].audit_head if "signing_facts" in ctx.memo else None
    event = audit_append(
        article=ctx.article,
        actor=ctx.user,
        action=audit_action or transition.name,
        from_state=from_state,
        to_state=target,
        note=note,
        previous=head,
    )
    for action, follow_note in ctx.memo.get(FOLLOW_UP_EVENTS, ()):
        event = audit_append(
            article=ctx.article,
            actor=ctx.user,
            action=action,
            from_state=target,
            to_state=target,
            note=follow_note,
            previous=event.chain_hash,
        )
