"""The editorial workflow, declared once: every transition, who may take it, its guards, its
effect and the input it needs.

`TRANSITIONS` is the single source of truth. `reviews.services.transitions` is the only code that
applies a row of it (and the only code allowed to move the state); `available_actions` reads it
both to authorise a request and to draw the buttons; `reviews.forms.ActionForm` is built from the
inputs a row declares; `manage.py workflow_doc` renders it as docs/workflow.md; the tests are
parametrised over it. Adding a transition is one row here plus its effect function.
"""

from __future__ import annotations

from types import MappingProxyType

from accounts.roles import Role
from reviews.guards import (
    Guard,
    checks_pass,
    due_date_not_past,
    has_content,
    has_schedule,
    has_title_and_summary,
    is_live,
    no_open_comments,
    not_live_already,
    pending_review_allowed,
    publisher_did_not_approve,
    quorum_reached,
    required_audiences_present,
    required_checks_pass,
    reviewers_assigned,
    schedule_in_future,
    signer_credentials_current,
    signer_did_not_assign_the_round,
    signer_did_not_write,
    signer_has_no_conflict,
    signer_has_not_approved_this_version,
    signing_current_version,
    sources_not_discredited,
)
from reviews.models import Meaning, State
from reviews.services import effects
from reviews.transition import (
    BASE_VERSION,
    CHANGE_REASON,
    CHANGE_WEIGHT,
    CONTENT_FIELDS,
    CONTENT_HASH,
    DUE_ON,
    NOTE,
    NOTE_REQUIRED,
    PASSWORD,
    REVIEWERS,
    TO_VERSION,
    WHEN,
    Transition,
)


def _t(
    name: str,
    label: str,
    sources: set[State],
    target: State | None,
    roles: set[Role],
    guards: tuple[Guard, ...] = (),
    **kwargs: object,
) -> Transition:
    return Transition(
        name,
        label,
        frozenset(sources),
        target,
        frozenset(roles),
        guards,
        **kwargs,  # type: ignore[arg-type]
    )


S = State
LIVE_ELIGIBLE = {S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.APPROVED}
SUBMIT_GUARDS = (has_title_and_summary, required_audiences_present, checks_pass)
SIGN_GUARDS = (signing_current_version, signer_did_not_write, signer_credentials_current)
# Publishing puts signed text in front of readers: the quorum on this version, once, by someone
# who did not approve it, and no source discredited since the board signed.
PUBLISH_GUARDS = (
    quorum_reached,
    not_live_already,
    publisher_did_not_approve,
    sources_not_discredited,
)
SIGN_INPUTS = (PASSWORD, CONTENT_HASH)
# A change to signed content voids its approvals: approved content goes back under review.
BACK_TO_REVIEW = MappingProxyType({S.APPROVED: S.UNDER_REVIEW})
# A resubmission opens the next round with the last round's reviewers, straight under review;
# when none of them can carry on (a conflict declared meanwhile) it waits for the editors.
RESUBMISSION = MappingProxyType({S.CHANGES_REQUESTED: S.UNDER_REVIEW})
RESUBMISSION_UNASSIGNED = MappingProxyType({S.CHANGES_REQUESTED: S.SUBMITTED})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t(
            "edit",
            "Edit",
            LIVE_ELIGIBLE,
            None,
            {Role.AUTHOR, Role.EDITOR},
            content=True,
            target_by_source=BACK_TO_REVIEW,
            effect=effects.void_approvals,
            inputs=(BASE_VERSION, CONTENT_FIELDS, CHANGE_REASON, CHANGE_WEIGHT),
        ),
        _t(
            "revert",
            "Restore an earlier version",
            LIVE_ELIGIBLE,
            None,
            {Role.AUTHOR, Role.EDITOR},
            content=True,
            target_by_source=BACK_TO_REVIEW,
            effect=effects.void_approvals,
            inputs=(BASE_VERSION, TO_VERSION),
        ),
        _t(
            "submit",
            "Submit for review",
            {S.DRAFT, S.CHANGES_REQUESTED},
            S.SUBMITTED,
            {Role.AUTHOR, Role.EDITOR},
            SUBMIT_GUARDS,
            effect=effects.open_new_cycle,
            target_by_source=RESUBMISSION,
            otherwise_by_source=RESUBMISSION_UNASSIGNED,
        ),
        _t(
            "withdraw",
            "Withdraw to draft",
            {S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED},
            S.DRAFT,
            {Role.AUTHOR, Role.EDITOR},
            effect=effects.withdraw,
        ),
        _t(
            "start_review",
            "Assign reviewers / start review",
            {S.SUBMITTED, S.UNDER_REVIEW},
            S.UNDER_REVIEW,
            {Role.EDITOR},
            (reviewers_assigned, due_date_not_past, required_checks_pass),
            effect=effects.assign_reviewers,
            inputs=(NOTE, REVIEWERS, DUE_ON),
        ),
        _t(
            "approve",
            "Approve (sign)",
            {S.UNDER_REVIEW},
            S.APPROVED,
            {Role.REVIEWER},
            (
                *SIGN_GUARDS,
                signer_has_not_approved_this_version,
                signer_did_not_assign_the_round,
                signer_has_no_conflict,
                no_open_comments,
                checks_pass,
            ),
            effect=effects.sign_approval,
            inputs=(*SIGN_INPUTS, NOTE),
            signs=Meaning.APPROVED,
        ),
        _t(
            "request_changes",
            "Request changes (sign)",
            {S.UNDER_REVIEW},
            S.CHANGES_REQUESTED,
            {Role.REVIEWER},
            SIGN_GUARDS,
            effect=effects.sign_changes_requested,
            inputs=(*SIGN_INPUTS, NOTE_REQUIRED),
            signs=Meaning.CHANGES_REQUESTED,
        ),
        _t(
            "publish",
            "Publish",
            {S.APPROVED},
            None,
            {Role.EDITOR},
            PUBLISH_GUARDS,
            effect=effects.go_live,
        ),
        _t(
            "schedule_publish",
            "Schedule publication",
            {S.APPROVED},
            None,
            {Role.EDITOR},
            (*PUBLISH_GUARDS, schedule_in_future),
            effect=effects.schedule_publication,
            inputs=(NOTE, WHEN),
        ),
        _t(
            "schedule_unpublish",
            "Schedule removal",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (is_live, schedule_in_future),
            effect=effects.schedule_removal,
            inputs=(NOTE_REQUIRED, WHEN),
        ),
        _t(
            "cancel_schedule",
            "Cancel the schedule",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (has_schedule,),
            effect=effects.cancel_schedule,
        ),
        _t(
            "publish_pending_review",
            "Publish pending review",
            {S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED},
            None,
            {Role.EDITOR},
            (has_content, pending_review_allowed, required_checks_pass, sources_not_discredited),
            effect=effects.go_live_pending_review,
            inputs=(NOTE_REQUIRED,),
        ),
        _t(
            "unpublish",
            "Unpublish",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (is_live,),
            effect=effects.take_down,
            inputs=(NOTE_REQUIRED,),
        ),
        _t(
            "retire",
            "Retire",
            LIVE_ELIGIBLE,
            S.RETIRED,
            {Role.EDITOR},
            effect=effects.retire,
            inputs=(NOTE_REQUIRED,),
        ),
        _t("reopen", "Reopen as draft", {S.RETIRED}, S.DRAFT, {Role.EDITOR}),
    ]
}

# Steps of the public status tracker, in order; the reader sees where the live version stands.
TRACKER_STEPS: tuple[State, ...] = (S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED)

# What the audit trail calls the events that are not rows of the table above.
OTHER_AUDIT_LABELS = {
    "create": "Create",
    "approvals_set": "Set approvals needed",
    "evidence_alert": "Evidence alert",
    "reply": "Reply to a comment",
    "resolve": "Resolve a comment",
    "topics": "Change topics",
    "void_approvals": "Void approvals",
    "waive_check": "Waive a check",
}


def action_label(action: str) -> str:
    """An audit event's action as people read it: the workflow table's label for a transition
    ("Publish pending review", not publish_pending_review)."""
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return OTHER_AUDIT_LABELS.get(action, action.replace("_", " ").capitalize())
