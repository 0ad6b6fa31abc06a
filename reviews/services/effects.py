"""The effects of the workflow table: what taking a row does besides moving the state.

Each row of `reviews.workflow.TRANSITIONS` names its effect; `reviews.services.transitions` runs
it under the article's row lock, after the guards pass and before it moves the state and appends
the audit event. An effect returns None to follow the table, or the current state to hold the
article where it is (an approval short of the quorum); it never sends it anywhere else, and it
never assigns the state itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.audiences import audience_keys
from articles.models import Article
from articles.services import citation_links_set, live_renditions_render
from reviews import notifications
from reviews.guards import Context, follow_up_event, signing_facts, signoffs_on_current_hash
from reviews.models import Assignment, SignOff, State
from reviews.selectors.signing import approvals_among, signature_statement
from reviews.services.errors import WorkflowError
from reviews.transition import Transition


def _last_signed_version(article: Article, **filters: object) -> int | None:
    """The version the board last signed (approval or changes), before the current one."""
    return (
        SignOff.objects.filter(article=article, version__lt=article.version, **filters)
        .order_by("-signed_at", "-pk")
        .values_list("version", flat=True)
        .first()
    )


def open_new_cycle(ctx: Context, transition: Transition, note: str) -> State | None:
    """A submission opens a new review round; a resubmission carries the last round's reviewers
    over, with a new due date, and mails them the diff. Tell the editors.

    A resubmission answers the reviewers who asked for the changes, so it goes straight back to
    them; only when none of them can carry on (a conflict declared meanwhile, no longer a
    reviewer) does it wait for an editor to assign the round.
    """
    resubmitted = ctx.workflow.state != State.DRAFT
    previous = ctx.workflow.cycle
    ctx.workflow.cycle += 1
    ctx.workflow.cycle_started_at = timezone.now()
    if not resubmitted:
        notifications.notify_submitted(article=ctx.article, resubmitted=False)
        return None
    carried = _carry_over(ctx, from_cycle=previous)
    notifications.notify_submitted(article=ctx.article, resubmitted=True, carried=carried)
    if not carried:
        return State.SUBMITTED
    since = _last_signed_version(ctx.article, cycle=previous)
    if since is not None:
        notifications.notify_new_version(
            article=ctx.article, reviewers=[a.reviewer for a in carried], from_version=since
        )
    else:
        for assignment in carried:
            notifications.notify_assigned(assignment=assignment)
    return None


def _carry_over(ctx: Context, *, from_cycle: int) -> list[Assignment]:
    """The round `from_cycle`'s assignments, copied to the current round with a new due date.

    Skipped: a reviewer who declared a conflict with the article meanwhile, or who is no longer
    an active medical reviewer. The assigner stays the same, so separation of duties holds.
    """
    due_on = timezone.localdate() + timedelta(days=settings.EDITORIAL_REVIEW_DAYS)
    previous = (
        Assignment.objects.filter(
            article=ctx.article,
            cycle=from_cycle,
            reviewer__is_active=True,
            reviewer__groups__name=ROLE_GROUPS[Role.REVIEWER],
        )
        .exclude(reviewer__reviewer_profile__conflicted_articles=ctx.article)
        .select_related("reviewer__reviewer_profile")
        .order_by("pk")
    )
    carried = [
        Assignment(
            article=ctx.article,
            cycle=ctx.workflow.cycle,
            reviewer=a.reviewer,
            assigned_by_id=a.assigned_by_id,
            due_on=due_on,
        )
        for a in previous
    ]
    return Assignment.objects.bulk_create(carried)


def assign_reviewers(ctx: Context, transition: Transition, note: str) -> None:
    """Make the chosen medical reviewers this round's (with the due date) and mail the new ones.

    The form comes filled with the round's reviewers, so a reviewer left out is taken off the
    round (unless they signed in it: their signature stays theirs), and a new due date applies
    to every reviewer kept. Without reviewers chosen, the round's assignments stay as they are.
    """
    due_on: date | None = ctx.params.get("due_on")
    chosen = list(ctx.params.get("reviewers") or ())
    for reviewer in chosen:
        if ROLE_GROUPS[Role.REVIEWER] not in user_group_names(reviewer):
            raise WorkflowError(transition.name, [f"{reviewer} is not a medical reviewer."])
    round_ = Assignment.objects.filter(article=ctx.article, cycle=ctx.workflow.cycle)
    if chosen:
        signed = SignOff.objects.filter(article=ctx.article, cycle=ctx.workflow.cycle)
        round_.exclude(reviewer__in=chosen).exclude(reviewer__in=signed.values("reviewer")).delete()
        if due_on is not None:
            round_.filter(reviewer__in=chosen).update(due_on=due_on)
    since = _last_signed_version(ctx.article)
    for reviewer in chosen:
        assignment, created = Assignment.objects.get_or_create(
            article=ctx.article,
            cycle=ctx.workflow.cycle,
            reviewer=reviewer,
            defaults={"assigned_by": ctx.user, "due_on": due_on},
        )
        if created:
            notifications.notify_assigned(assignment=assignment, since_version=since)


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
    return signoff


def sign_approval(ctx: Context, transition: Transition, note: str) -> State | None:
    """Sign the version; it stays under review until the quorum of approvals on its hash is met."""
    signoff = _sign(ctx, transition, note)
    approvals = len(approvals_among([*signoffs_on_current_hash(ctx), signoff]))
    needed = ctx.workflow.approvals_needed
    notifications.notify_decision(signoff=signoff, approvals=approvals, approvals_needed=needed)
    if approvals < needed:
        return ctx.workflow.state
    # Re-approving a typo fix confirms the fix; it is not a new review of the whole article, so
    # it moves neither "last reviewed" nor the next review date.
    if not signing_facts(ctx).only_minor_changes_since_approval:
        today = timezone.localdate()
        interval = ctx.workflow.review_interval_days
        if interval is None:
            interval = settings.EDITORIAL_REVIEW_INTERVAL_DAYS
        ctx.workflow.last_reviewed_on = today
        ctx.workflow.next_review_due = today + timedelta(days=interval)
    return None


def sign_changes_requested(ctx: Context, transition: Transition, note: str) -> None:
    """Sign the version as needing changes, with the note, and mail the authors and editors.

    Content live pending review is taken down, or (EDITORIAL_CHANGES_REQUESTED_LIVE "dispute")
    marked to readers as disputed: a reviewer found it wrong, so it cannot stay live unmarked.
    """
    signoff = _sign(ctx, transition, note)
    notifications.notify_decision(signoff=signoff)
    _pull_unreviewed(
        ctx,
        reason=f"{signoff.signature_name} requested changes: {note}",
        dispute=settings.EDITORIAL_CHANGES_REQUESTED_LIVE == "dispute",
    )


def withdraw(ctx: Context, transition: Transition, note: str) -> None:
    """Back to draft; content live pending review goes down, since nobody will review it now."""
    reason = f"withdrawn to draft by {ctx.user.get_username()}"
    _pull_unreviewed(ctx, reason=f"{reason}: {note}" if note else f"{reason}.", dispute=False)


def _pull_unreviewed(ctx: Context, *, reason: str, dispute: bool) -> None:
    """Take down (or mark disputed) a live version nobody approved; say so and tell the editors.

    An approved live version is left alone: the board signed it, whatever befalls a later one.
    """
    article = ctx.article
    if not (article.live_version_id and article.live_pending_review):
        return
    if dispute:
        article.live_disputed = True
        article.save(update_fields=["live_disputed"])
        action = "live_marked_disputed"
    else:
        _take_down(ctx)
        ctx.workflow.unpublish_at = None
        action = "live_taken_down"
    follow_up_event(ctx, action=action, note=reason)
    notifications.notify_unreviewed_content_pulled(article=article, reason=reason, disputed=dispute)


def _set_live(article: Article, *, pending: bool) -> None:
    """Point readers at the current frozen version, rendered now for every audience.

    Rendering at publication means the citations are resolved against the library as it is
    when the version goes live, and no reader ever waits for a render.
    """
    snapshot = article.history.filter(version=article.version).order_by("-history_id").first()
    # Pinned: the glossary and the sources' metadata stay as they are now until the next publish.
    pipeline, renditions = live_renditions_render(version=snapshot, audiences=audience_keys())
    cited = {
        c["reference_id"]
        for rendition in renditions.values()
        for c in rendition.citations
        if c.get("reference_id")
    }
    citation_links_set(article=article, reference_ids=cited)
    article.live_rendering = pipeline
    article.live_version = snapshot
    article.live_pending_review = pending
    article.live_disputed = False
    article.published_at = timezone.now()
    article.save(
        update_fields=[
            "live_version",
            "live_pending_review",
            "live_disputed",
            "live_rendering",
            "published_at",
        ]
    )


def _take_down(ctx: Context) -> None:
    if ctx.article.live_version_id:
        citation_links_set(article=ctx.article, reference_ids=())
        ctx.article.live_version = None
        ctx.article.live_pending_review = ctx.article.live_disputed = False
        ctx.article.save(update_fields=["live_version", "live_pending_review", "live_disputed"])


def go_live(ctx: Context, transition: Transition, note: str) -> None:
    """Make the approved version live, rendered for every audience; drop its schedule; mail it."""
    _set_live(ctx.article, pending=False)
    ctx.workflow.publish_at = None
    notifications.notify_published(article=ctx.article, pending_review=False)


def go_live_pending_review(ctx: Context, transition: Transition, note: str) -> None:
    """Make the current version live, marked to readers as pending medical review; mail it."""
    _set_live(ctx.article, pending=True)
    notifications.notify_published(article=ctx.article, pending_review=True)


def take_down(ctx: Context, transition: Transition, note: str) -> None:
    """Take the live version off the public site; drop a scheduled removal."""
    _take_down(ctx)
    ctx.workflow.unpublish_at = None


def retire(ctx: Context, transition: Transition, note: str) -> None:
    """Take the live version off the public site and drop every schedule."""
    _take_down(ctx)
    ctx.workflow.publish_at = ctx.workflow.unpublish_at = None


def schedule_publication(ctx: Context, transition: Transition, note: str) -> None:
    """Record when the approved version goes live, and who scheduled it."""
    ctx.workflow.publish_at = ctx.params["when"]
    ctx.workflow.scheduled_by = ctx.user


def schedule_removal(ctx: Context, transition: Transition, note: str) -> None:
    """Record when the live version comes off the public site, and who scheduled it."""
    ctx.workflow.unpublish_at = ctx.params["when"]
    ctx.workflow.scheduled_by = ctx.user


def cancel_schedule(ctx: Context, transition: Transition, note: str) -> None:
    """Drop the scheduled publication and removal."""
    ctx.workflow.publish_at = ctx.workflow.unpublish_at = None


def void_approvals(ctx: Context, transition: Transition, note: str) -> None:
    """Approvals of the previous version no longer count: drop its schedule, mail its signers."""
    # A schedule was made for the signed version; it must not publish the changed one.
    ctx.workflow.publish_at = None
    voided: list[SignOff] = ctx.params.get("voided") or []
    if voided:
        notifications.notify_approvals_voided(
            article=ctx.article, signoffs=voided, reason=ctx.params.get("change_reason", "")
        )
