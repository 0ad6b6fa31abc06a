"""The editorial workflow, declared once: every transition, who may take it, and its guards.

`TRANSITIONS` is the single source of truth. `reviews.services.transition_apply` is the only code
that applies a row of it; `available_actions` reads it both to authorise a request and to draw the
buttons; the tests are parametrised over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.roles import Role
from articles.audiences import audiences
from reviews.models import Meaning, State

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article
    from reviews.models import ArticleWorkflow


@dataclass
class Context:
    """What a guard may look at. `params` carries the action's input (reviewers, note...)."""

    article: Article
    workflow: ArticleWorkflow
    user: AbstractBaseUser
    roles: frozenset[Role]
    params: Mapping[str, Any] = field(default_factory=dict)
    # Results shared by the guards of one request (the checks run once, not once per row).
    memo: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[Context], list[str]]


def input_guard(guard: Guard) -> Guard:
    """Mark a guard that judges the action's input (reviewers chosen, a date, the hash read).

    Such a guard runs when the action is applied; it does not grey out the button that leads to
    the form where the input is given.
    """
    guard.needs_input = True  # type: ignore[attr-defined]
    return guard


def needs_input(guard: Guard) -> bool:
    return getattr(guard, "needs_input", False)


# --- guards: each returns the reasons it fails, in words a user can act on ---------------------


def _check_reasons(ctx: Context, *, recommended: bool) -> list[str]:
    from reviews.checks import Level, article_checks

    if "checks" not in ctx.memo:
        ctx.memo["checks"] = article_checks(article=ctx.article)
    reasons = []
    for result in ctx.memo["checks"]:
        if not result.blocking or (result.level == Level.RECOMMENDED and not recommended):
            continue
        for problem in result.problems:
            if result.level == Level.RECOMMENDED:
                reasons.append(f"{problem} (Recommended: fix it, or record why you go ahead.)")
            else:
                reasons.append(problem)
    return reasons


def checks_pass(ctx: Context) -> list[str]:
    """Required checks pass, and recommended ones pass or were waived for this version."""
    return _check_reasons(ctx, recommended=True)


def required_checks_pass(ctx: Context) -> list[str]:
    """Required checks pass (citations resolve, nothing cited is retracted)."""
    return _check_reasons(ctx, recommended=False)


def required_audiences_present(ctx: Context) -> list[str]:
    missing = [k for k in settings.EDITORIAL_REQUIRED_AUDIENCES if not ctx.article.texts.get(k)]
    return [f"The {audiences()[k].label.lower()} text is missing." for k in missing]


def has_title_and_summary(ctx: Context) -> list[str]:
    reasons = []
    if not ctx.article.title:
        reasons.append("The title is missing.")
    if not ctx.article.summary:
        reasons.append("The summary is missing.")
    return reasons


@input_guard
def reviewers_assigned(ctx: Context) -> list[str]:
    from reviews.selectors import assigned_reviewer_ids

    if ctx.params.get("reviewers") or assigned_reviewer_ids(
        article=ctx.article, cycle=ctx.workflow.cycle
    ):
        return []
    return ["Assign at least one medical reviewer first."]


def signing_facts(ctx: Context) -> Any:
    """The signing facts of this request (reviews.selectors.SigningFacts), read once."""
    from reviews.selectors import signing_facts as read

    if "signing_facts" not in ctx.memo:
        ctx.memo["signing_facts"] = read(article=ctx.article, workflow=ctx.workflow, user=ctx.user)
    return ctx.memo["signing_facts"]


def signoffs_on_current_hash(ctx: Context) -> list[Any]:
    """This cycle's sign-offs on the current hash, read once per request."""
    from reviews.selectors import signoffs_on_current_hash as read

    if "signoffs" not in ctx.memo:
        ctx.memo["signoffs"] = read(article=ctx.article, workflow=ctx.workflow)
    return ctx.memo["signoffs"]


def approvals(ctx: Context) -> list[Any]:
    from reviews.selectors import approvals_among

    return approvals_among(signoffs_on_current_hash(ctx))


def signer_did_not_write(ctx: Context) -> list[str]:
    if signing_facts(ctx).wrote_or_edited:
        return [
            "You wrote or edited this version of the article, so another reviewer must sign it."
        ]
    return []


def signer_has_not_approved_this_version(ctx: Context) -> list[str]:
    if any(s.reviewer_id == ctx.user.pk for s in approvals(ctx)):
        return [f"You already approved version {ctx.article.version}."]
    return []


def signer_has_no_conflict(ctx: Context) -> list[str]:
    if signing_facts(ctx).conflicted:
        return ["You declared a conflict of interest on this article, so you cannot approve it."]
    return []


def signer_credentials_current(ctx: Context) -> list[str]:
    profile = getattr(ctx.user, "reviewer_profile", None)
    if profile is None:
        return ["You have no reviewer profile with verified credentials."]
    if profile.credentials_verified_on is None:
        return ["Your credentials have never been verified."]
    if not profile.credentials_current():
        months = settings.EDITORIAL_CREDENTIALS_VALID_MONTHS
        return [f"Your credentials were last verified more than {months} months ago."]
    return []


@input_guard
def signing_current_version(ctx: Context) -> list[str]:
    expected = ctx.params.get("content_hash")
    if expected and expected != ctx.article.content_hash:
        return [
            f"The article changed while you were reviewing it (now version {ctx.article.version}); "
            "review the new version before signing."
        ]
    return []


def quorum_reached(ctx: Context) -> list[str]:
    have = len(approvals(ctx))
    need = ctx.workflow.approvals_needed
    if have < need:
        return [f"{have} of {need} required approvals on version {ctx.article.version}."]
    return []


def no_open_comments(ctx: Context) -> list[str]:
    count = signing_facts(ctx).open_comments
    if count:
        return [f"{count} review comment(s) are still open; resolve them before approving."]
    return []


@input_guard
def schedule_in_future(ctx: Context) -> list[str]:
    from django.utils import timezone

    when = ctx.params.get("when")
    if when is None:
        return ["Say when."]
    if when <= timezone.now():
        return ["The scheduled time must be in the future."]
    return []


def has_schedule(ctx: Context) -> list[str]:
    if ctx.workflow.publish_at or ctx.workflow.unpublish_at:
        return []
    return ["Nothing is scheduled."]


def is_live(ctx: Context) -> list[str]:
    return [] if ctx.article.live_version_id else ["The article is not published."]


def has_content(ctx: Context) -> list[str]:
    return [] if ctx.article.texts else ["The article has no text yet."]


@dataclass(frozen=True)
class Transition:
    """One row of the workflow table. `target` None keeps the state; `signs` makes it a signature."""

    name: str
    label: str
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    signs: Meaning | None = None
    needs_note: bool = False
    # Content actions change the text and are applied by the content services (draft_update,
    # version_revert); the table still says who may take them in which state.
    content: bool = False


def _t(
    name: str,
    label: str,
    sources: set[State],
    target: State | None,
    roles: set[Role],
    guards: tuple[Guard, ...] = (),
    **kwargs: Any,
) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), guards, **kwargs)


S = State
LIVE_ELIGIBLE = {S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED, S.APPROVED}
SUBMIT_GUARDS = (has_title_and_summary, required_audiences_present, checks_pass)
SIGN_GUARDS = (signing_current_version, signer_did_not_write, signer_credentials_current)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("edit", "Edit", LIVE_ELIGIBLE, None, {Role.AUTHOR, Role.EDITOR}, content=True),
        _t(
            "revert",
            "Restore an earlier version",
            LIVE_ELIGIBLE,
            None,
            {Role.AUTHOR, Role.EDITOR},
            content=True,
        ),
        _t(
            "submit",
            "Submit for review",
            {S.DRAFT, S.CHANGES_REQUESTED},
            S.SUBMITTED,
            {Role.AUTHOR, Role.EDITOR},
            SUBMIT_GUARDS,
        ),
        _t(
            "withdraw",
            "Withdraw to draft",
            {S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED},
            S.DRAFT,
            {Role.AUTHOR, Role.EDITOR},
        ),
        _t(
            "start_review",
            "Assign reviewers / start review",
            {S.SUBMITTED, S.UNDER_REVIEW},
            S.UNDER_REVIEW,
            {Role.EDITOR},
            (reviewers_assigned, required_checks_pass),
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
                signer_has_no_conflict,
                no_open_comments,
                checks_pass,
            ),
            signs=Meaning.APPROVED,
        ),
        _t(
            "request_changes",
            "Request changes (sign)",
            {S.UNDER_REVIEW},
            S.CHANGES_REQUESTED,
            {Role.REVIEWER},
            SIGN_GUARDS,
            signs=Meaning.CHANGES_REQUESTED,
            needs_note=True,
        ),
        _t("publish", "Publish", {S.APPROVED}, None, {Role.EDITOR}, (quorum_reached,)),
        _t(
            "schedule_publish",
            "Schedule publication",
            {S.APPROVED},
            None,
            {Role.EDITOR},
            (quorum_reached, schedule_in_future),
        ),
        _t(
            "schedule_unpublish",
            "Schedule removal",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (is_live, schedule_in_future),
            needs_note=True,
        ),
        _t(
            "cancel_schedule",
            "Cancel the schedule",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (has_schedule,),
        ),
        _t(
            "publish_pending_review",
            "Publish pending review",
            {S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED},
            None,
            {Role.EDITOR},
            (has_content, required_checks_pass),
            needs_note=True,
        ),
        _t(
            "unpublish",
            "Unpublish",
            LIVE_ELIGIBLE,
            None,
            {Role.EDITOR},
            (is_live,),
            needs_note=True,
        ),
        _t("retire", "Retire", LIVE_ELIGIBLE, S.RETIRED, {Role.EDITOR}, needs_note=True),
        _t("reopen", "Reopen as draft", {S.RETIRED}, S.DRAFT, {Role.EDITOR}),
    ]
}

# Steps of the public status tracker, in order; the reader sees where the live version stands.
TRACKER_STEPS: tuple[State, ...] = (S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED)
