"""E-mail at every hand-off of the editorial process, sent by a task once the change commits.

Submission (to the editors), a new round or a new version (to the assigned reviewers, with the
diff), a decision (to the authors and editors), publication (to the authors), a voided approval,
re-reviews due and overdue reviews (to the reviewer and the editors), and evidence alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from accounts.roles import ROLE_GROUPS, Role
from reviews.mail import deliver_after_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article
    from reviews.models import ArticleWorkflow, Assignment, SignOff


# Every link is built on the one configured site address: mail is read away from the request
# that caused it, so the request's own host and port mean nothing there.
def _workspace_url(article: Article) -> str:
    return settings.SITE_URL + reverse("reviews:article", kwargs={"slug": article.slug})


def _diff_url(article: Article, *, from_version: int) -> str:
    path = reverse("reviews:diff", kwargs={"slug": article.slug})
    return f"{settings.SITE_URL}{path}?from={from_version}&to={article.version}"


def _public_url(article: Article) -> str:
    return settings.SITE_URL + article.get_absolute_url()


def _addresses(users: Iterable[Any]) -> list[str]:
    return sorted({u.email for u in users if u.email and u.is_active})


def _send(*, subject: str, body: str, to: Iterable[Any]) -> None:
    """Hand the mail to the background task once the change commits (reviews.mail)."""
    recipients = _addresses(to)
    if recipients:
        deliver_after_commit(subject=subject, body=body, to=recipients)


def editors() -> list[AbstractBaseUser]:
    return list(
        get_user_model().objects.filter(groups__name=ROLE_GROUPS[Role.EDITOR], is_active=True)
    )


def authors_and_editors(article: Article) -> list[AbstractBaseUser]:
    """The article's authors and every active editor, in one query."""
    return list(
        get_user_model()
        .objects.filter(
            Q(authored_articles=article) | Q(groups__name=ROLE_GROUPS[Role.EDITOR]), is_active=True
        )
        .distinct()
    )


def _authors(article: Article) -> list[AbstractBaseUser]:
    return list(article.authors.filter(is_active=True))


def notify_submitted(
    *, article: Article, resubmitted: bool, carried: Iterable[Assignment] = ()
) -> None:
    """Tell the editors an article waits for them, or that a revision went back to its reviewers."""
    what = "Resubmitted" if resubmitted else "Submitted"
    carried = list(carried)
    if carried:
        names = ", ".join(_name(a.reviewer) for a in carried)
        due = carried[0].due_on
        waits = (
            f"went back under review, in a new round, to {names}"
            f"{f' (due {due:%d %B %Y})' if due else ''}; change the reviewers in the "
            "workspace if they should not carry on."
        )
    else:
        waits = "waits for an editor to assign reviewers."
    _send(
        subject=f"[{what}] “{article.title}”",
        body=(
            f"“{article.title}” (version {article.version}) was {what.lower()} for review and "
            f"{waits}\n\n{_workspace_url(article)}\n"
        ),
        to=editors(),
    )


def _name(user: AbstractBaseUser) -> str:
    profile = getattr(user, "reviewer_profile", None)
    return profile.signature_name if profile else (user.get_full_name() or user.get_username())


def notify_new_version(
    *, article: Article, reviewers: Iterable[AbstractBaseUser], from_version: int
) -> None:
    """Tell the round's reviewers a revised version answers their requests, with the diff."""
    _send(
        subject=f"[Review] New version of “{article.title}” ready",
        body=(
            f"The authors revised “{article.title}” after version {from_version}; version "
            f"{article.version} is ready for your review.\n\n"
            f"What changed: {_diff_url(article, from_version=from_version)}\n"
            f"Open it in the workspace: {_workspace_url(article)}\n"
        ),
        to=reviewers,
    )


def notify_assigned(*, assignment: Assignment, since_version: int | None = None) -> None:
    """Ask a reviewer into a round; with what changed since the board last signed, if it did."""
    article = assignment.article
    due = f" by {assignment.due_on:%d %B %Y}" if assignment.due_on else ""
    changes = (
        f"What changed since version {since_version}: "
        f"{_diff_url(article, from_version=since_version)}\n"
        if since_version and since_version < article.version
        else ""
    )
    _send(
        subject=f"[Review] Please review “{article.title}”",
        body=(
            f"You have been asked to review “{article.title}” (version {article.version}){due}.\n\n"
            f"{changes}Open it in the workspace: {_workspace_url(article)}\n"
        ),
        to=[assignment.reviewer],
    )


def notify_decision(
    *, signoff: SignOff, approvals: int | None = None, approvals_needed: int | None = None
) -> None:
    """Tell the authors and editors how a reviewer signed.

    An approval short of the quorum says so ("1 of 2 approvals"): only the approval that
    reaches the quorum is announced as "Approved", because only then is the article approved.
    """
    article = signoff.article
    note = f"\n\nThe reviewer's note:\n{signoff.note}" if signoff.note else ""
    if approvals is None or approvals_needed is None:
        headline = outcome = signoff.get_meaning_display()
    elif approvals < approvals_needed:
        headline = f"{approvals} of {approvals_needed} approvals"
        outcome = (
            f"approval {approvals} of the {approvals_needed} needed; the article stays under "
            "review until the quorum is reached"
        )
    else:
        headline = "Approved"
        outcome = (
            f"approved ({approvals} of {approvals_needed} approvals); the quorum is reached "
            "and the version can be published"
        )
    _send(
        subject=f"[Review] {headline}: “{article.title}”",
        body=(
            f"{signoff.signature_name} signed version {signoff.version} of “{article.title}”: "
            f"{outcome}.{note}\n\n{_workspace_url(article)}\n"
        ),
        to=authors_and_editors(article),
    )


def notify_published(*, article: Article, pending_review: bool) -> None:
    """Tell the authors their article is live, and whether as the signed or a pending version."""
    how = (
        "published pending medical review: readers see a caution banner until the board signs it"
        if pending_review
        else "published: readers now see the version the board signed"
    )
    _send(
        subject=f"[Published] “{article.title}”",
        body=(
            f"Version {article.version} of “{article.title}” is {how}.\n\n"
            f"Public page: {_public_url(article)}\nWorkspace: {_workspace_url(article)}\n"
        ),
        to=_authors(article),
    )


def notify_approvals_voided(*, article: Article, signoffs: Iterable[SignOff], reason: str) -> None:
    signoffs = list(signoffs)
    signed = min(s.version for s in signoffs) if signoffs else None
    see = _diff_url(article, from_version=signed) if signed else _workspace_url(article)
    _send(
        subject=f"[Review] Your approval of “{article.title}” no longer applies",
        body=(
            f"“{article.title}” changed after you signed it (now version {article.version}), so "
            f"your approval of version {signed or '?'} no longer counts and the article is back "
            f"under review.\n\nChange: {reason}\n\nSee what changed: {see}\n"
            f"Sign again in the workspace: {_workspace_url(article)}\n"
        ),
        to=[s.reviewer for s in signoffs],
    )


def notify_review_due(*, workflow: ArticleWorkflow, recipients: Iterable[AbstractBaseUser]) -> None:
    article = workflow.article
    _send(
        subject=f"[Re-review due] “{article.title}”",
        body=(
            f"“{article.title}” was last reviewed on {workflow.last_reviewed_on:%d %B %Y} and is "
            f"due for re-review on {workflow.next_review_due:%d %B %Y}.\n\n{_workspace_url(article)}\n"
        ),
        to=recipients,
    )


def notify_assignment_overdue(*, assignment: Assignment) -> None:
    """Remind the reviewer, and tell the editors, who may reassign the review."""
    article = assignment.article
    _send(
        subject=f"[Review overdue] “{article.title}”",
        body=(
            f"Your review of “{article.title}” was due on {assignment.due_on:%d %B %Y}. "
            f"Please review and sign it, or tell the editors if you cannot.\n\n{_workspace_url(article)}\n"
        ),
        to=[assignment.reviewer],
    )
    reviewer = assignment.reviewer
    _send(
        subject=f"[Review overdue] {reviewer.get_full_name() or reviewer.get_username()}: “{article.title}”",
        body=(
            f"{reviewer.get_full_name() or reviewer.get_username()}'s review of “{article.title}” "
            f"was due on {assignment.due_on:%d %B %Y} and is not signed. Remind them, or assign "
            f"another reviewer.\n\n{_workspace_url(article)}\n"
        ),
        to=editors(),
    )


def notify_evidence_alert(*, reason: str, articles: Iterable[Article]) -> None:
    lines = "\n".join(
        f"- {a.title} ({'published' if a.live_version_id else 'not published'}): {_workspace_url(a)}"
        for a in articles
    )
    _send(
        subject=f"[Evidence alert] {reason}",
        body=f"The {reason}. These articles cite it and need a medical re-review:\n\n{lines}\n",
        to=editors(),
    )


def notify_unreviewed_content_pulled(*, article: Article, reason: str, disputed: bool) -> None:
    """Tell the editors that content live pending review was taken down or marked disputed."""
    outcome = (
        "stays live, marked to readers as disputed" if disputed else "was taken off the public site"
    )
    _send(
        subject=f"[Published pending review] “{article.title}” {outcome}",
        body=(
            f"“{article.title}” was live pending medical review and {outcome}: {reason}\n\n"
            f"{_workspace_url(article)}\n"
        ),
        to=editors(),
    )
