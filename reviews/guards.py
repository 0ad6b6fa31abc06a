"""The guards of the workflow table: each returns the reasons a transition cannot be taken now.

A guard reads (through the selectors and the checks) and never writes; the table in
`reviews.workflow` names the guards of each row, and the transition service and
`available_actions` run them. The reasons are in words a user can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from accounts.roles import Role
from articles.audiences import audiences
from reviews import risk
from reviews.checks import CheckResult, Level, article_checks, discredited_sources
from reviews.selectors import signing
from reviews.selectors.roles import assigned_reviewer_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article
    from reviews.models import ArticleWorkflow, SignOff


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


# --- what the guards of one request share, read once ------------------------------------------


def checks(ctx: Context) -> list[CheckResult]:
    """The article's checks, run once per request (a page shares them through the memo)."""
    if "checks" not in ctx.memo:
        ctx.memo["checks"] = article_checks(article=ctx.article)
    return ctx.memo["checks"]


def signing_facts(ctx: Context) -> signing.SigningFacts:
    """The signing facts of this request, read once."""
    if "signing_facts" not in ctx.memo:
        ctx.memo["signing_facts"] = signing.signing_facts(
            article=ctx.article, workflow=ctx.workflow, user=ctx.user
        )
    return ctx.memo["signing_facts"]


def signoffs_on_current_hash(ctx: Context) -> list[SignOff]:
    """This cycle's sign-offs on the current hash, read once per request."""
    if "signoffs" not in ctx.memo:
        ctx.memo["signoffs"] = signing.signoffs_on_current_hash(
            article=ctx.article, workflow=ctx.workflow
        )
    return ctx.memo["signoffs"]


FOLLOW_UP_EVENTS = "follow_up_events"


def follow_up_event(ctx: Context, *, action: str, note: str) -> None:
    """Ask for an audit event after the move's own (an effect's consequence, such as a take-down).

    The transition service appends them, chained after the move's event: an effect appending
    one itself would fork the chain from the head the signing facts read.
    """
    ctx.memo.setdefault(FOLLOW_UP_EVENTS, []).append((action, note))


def approvals(ctx: Context) -> list[SignOff]:
    return signing.approvals_among(signoffs_on_current_hash(ctx))


# --- the guards -------------------------------------------------------------------------------


def _check_reasons(ctx: Context, *, recommended: bool) -> list[str]:
    reasons = []
    for result in checks(ctx):
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
    """Every audience the publisher requires (settings.EDITORIAL_REQUIRED_AUDIENCES) has a text."""
    missing = [k for k in settings.EDITORIAL_REQUIRED_AUDIENCES if not ctx.article.texts.get(k)]
    return [f"The {audiences()[k].label.lower()} text is missing." for k in missing]


def has_title_and_summary(ctx: Context) -> list[str]:
    """The article has a title and a summary."""
    reasons = []
    if not ctx.article.title:
        reasons.append("The title is missing.")
    if not ctx.article.summary:
        reasons.append("The summary is missing.")
    return reasons


@input_guard
def reviewers_assigned(ctx: Context) -> list[str]:
    """At least one medical reviewer is chosen now or already assigned in this cycle."""
    if ctx.params.get("reviewers") or assigned_reviewer_ids(
        article=ctx.article, cycle=ctx.workflow.cycle
    ):
        return []
    return ["Assign at least one medical reviewer first."]


def signer_did_not_write(ctx: Context) -> list[str]:
    """The signer is no listed author and wrote none of the text the version contains.

    The text's writers come from the history (`signing.writers_of`): a revert brings back the
    writers of the text it restores, and a version other people approved starts the count again.
    """
    if signing_facts(ctx).wrote_or_edited:
        return [
            "You wrote or edited this version of the article, so another reviewer must sign it."
        ]
    return []


def signer_did_not_assign_the_round(ctx: Context) -> list[str]:
    """The signer assigned none of this round's reviewers (unless a one-person board is allowed).

    Whoever chooses the board of a round does not also vouch for it: an Editor+Reviewer could
    otherwise assign themselves, approve and publish alone.
    """
    if settings.EDITORIAL_ALLOW_ONE_PERSON_BOARD or not signing_facts(ctx).assigned_this_round:
        return []
    return [
        "You assigned the reviewers of this round, so another board member must approve it "
        "(separation of duties)."
    ]


def publisher_did_not_approve(ctx: Context) -> list[str]:
    """The publisher is not an approver of the version (unless a one-person board is allowed)."""
    if settings.EDITORIAL_ALLOW_ONE_PERSON_BOARD:
        return []
    if any(s.reviewer_id == ctx.user.pk for s in approvals(ctx)):
        return [
            "You approved this version, so another editor must publish it (separation of duties)."
        ]
    return []


def signer_has_not_approved_this_version(ctx: Context) -> list[str]:
    """The signer has not already approved this exact version."""
    if any(s.reviewer_id == ctx.user.pk for s in approvals(ctx)):
        return [f"You already approved version {ctx.article.version}."]
    return []


def signer_has_no_conflict(ctx: Context) -> list[str]:
    """The signer declared no conflict of interest on this article."""
    if signing_facts(ctx).conflicted:
        return ["You declared a conflict of interest on this article, so you cannot approve it."]
    return []


def signer_credentials_current(ctx: Context) -> list[str]:
    """The signer's credentials were verified within EDITORIAL_CREDENTIALS_VALID_MONTHS."""
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
    """The version the reviewer read (its content hash) is still the current one."""
    expected = ctx.params.get("content_hash")
    if not expected or expected == ctx.article.content_hash:
        return []
    current = ctx.article.version
    shown = signing.version_with_hash(article=ctx.article, content_hash=expected)
    if shown is None:
        # No version ever had this text: the page's fingerprint was altered, or is of another
        # article. Nothing changed under the reviewer; saying so would send them looking for it.
        return [
            f"The text you were shown is not the text of any version of this article (the "
            f"current one is version {current}); reload the article and review it before signing."
        ]
    return [
        f"The article changed while you were reviewing it (you read version {shown}, it is now "
        f"version {current}); review the new version before signing."
    ]


def quorum_reached(ctx: Context) -> list[str]:
    """The current version holds the approvals it needs (two for high-risk content)."""
    have = len(approvals(ctx))
    need = ctx.workflow.approvals_needed
    if have < need:
        return [f"{have} of {need} required approvals on version {ctx.article.version}."]
    return []


def pending_review_allowed(ctx: Context) -> list[str]:
    """The site's policy (EDITORIAL_PUBLISH_PENDING_REVIEW) lets this content go live unsigned.

    By default ("low-risk") content that needs the high-risk quorum (dose statements, or raised
    by an editor) waits for the board.
    """
    refusal = risk.pending_review_refusal(workflow=ctx.workflow)
    return [refusal] if refusal else []


def sources_not_discredited(ctx: Context) -> list[str]:
    """No cited or listed source is retracted; a cited superseded one needs a recorded waiver.

    The board may have signed before the retraction: publication asks the library again, whatever
    the approvals say. Superseded is a judgement (the old guideline may still be right for this
    text), so a reason recorded for this exact version lets it through; retracted never does.
    """
    found = discredited_sources(article=ctx.article)
    reasons = [
        f"{r.citekey} was retracted on {r.retracted_on:%d %B %Y}; remove or replace it, and have "
        "the change reviewed, before publishing."
        for r in found.retracted
    ]
    if not found.superseded_waived:
        reasons += [
            f"{r.citekey} is superseded; cite the newer source, or record why this version may "
            "go ahead (waive the superseded check), before publishing."
            for r in found.superseded
        ]
    return reasons


def no_open_comments(ctx: Context) -> list[str]:
    """No review comment thread is still open."""
    count = signing_facts(ctx).open_comments
    if count:
        return [f"{count} review comment(s) are still open; resolve them before approving."]
    return []


@input_guard
def due_date_not_past(ctx: Context) -> list[str]:
    """A reviewers' due date, when one is given, is today or later."""
    due_on = ctx.params.get("due_on")
    today = timezone.localdate()
    if due_on is not None and due_on < today:
        return [
            f"The due date {due_on:%d %B %Y} is in the past; choose today ({today:%d %B %Y}) "
            "or a later date."
        ]
    return []


@input_guard
def schedule_in_future(ctx: Context) -> list[str]:
    """A time is given and it is in the future."""
    when = ctx.params.get("when")
    if when is None:
        return ["Say when."]
    if when <= timezone.now():
        return ["The scheduled time must be in the future."]
    return []


def has_schedule(ctx: Context) -> list[str]:
    """A publication or a removal is scheduled."""
    if ctx.workflow.publish_at or ctx.workflow.unpublish_at:
        return []
    return ["Nothing is scheduled."]


def is_live(ctx: Context) -> list[str]:
    """A version of the article is on the public site."""
    return [] if ctx.article.live_version_id else ["The article is not published."]


def not_live_already(ctx: Context) -> list[str]:
    """The current version is not already live as approved: each version is published once."""
    article = ctx.article
    if not article.live_version_id or article.live_pending_review:
        return []
    # Read with the row lock by the services (`article_locked`); a page's article loads it here.
    number = getattr(article, "live_version_number", None)
    if number is None:
        number = article.live_version.version
    if number == article.version:
        return [f"Version {article.version} is already live; there is nothing new to publish."]
    return []


def has_content(ctx: Context) -> list[str]:
    """The article has some text."""
    return [] if ctx.article.texts else ["The article has no text yet."]
