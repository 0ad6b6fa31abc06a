"""E-mail notifications of the editorial process, sent only once the change is committed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.roles import ROLE_GROUPS, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article
    from reviews.models import ArticleWorkflow, Assignment, SignOff


def _workspace_url(article: Article) -> str:
    return settings.SITE_URL + reverse("reviews:article", kwargs={"slug": article.slug})


def _addresses(users: Iterable[Any]) -> list[str]:
    return sorted({u.email for u in users if u.email and u.is_active})


def _send(*, subject: str, body: str, to: Iterable[Any]) -> None:
    recipients = _addresses(to)
    if not recipients:
        return
    # A header is one line: whatever a title holds, the subject cannot break the message.
    message = EmailMessage(subject=" ".join(subject.split()), body=body, to=recipients)
    # After commit: a rolled-back change must not have told anyone anything.
    transaction.on_commit(message.send)


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


def notify_assigned(*, assignment: Assignment) -> None:
    article = assignment.article
    due = f" by {assignment.due_on:%d %B %Y}" if assignment.due_on else ""
    _send(
        subject=f"[Review] Please review “{article.title}”",
        body=(
            f"You have been asked to review “{article.title}” (version {article.version}){due}.\n\n"
            f"Open it in the workspace: {_workspace_url(article)}\n"
        ),
        to=[assignment.reviewer],
    )


def notify_decision(*, signoff: SignOff) -> None:
    article = signoff.article
    note = f"\n\nThe reviewer's note:\n{signoff.note}" if signoff.note else ""
    _send(
        subject=f"[Review] {signoff.get_meaning_display()}: “{article.title}”",
        body=(
            f"{signoff.signature_name} signed version {signoff.version} of “{article.title}”: "
            f"{signoff.get_meaning_display()}.{note}\n\n{_workspace_url(article)}\n"
        ),
        to=authors_and_editors(article),
    )


def notify_approvals_voided(*, article: Article, signoffs: Iterable[SignOff], reason: str) -> None:
    signoffs = list(signoffs)
    _send(
        subject=f"[Review] Your approval of “{article.title}” no longer applies",
        body=(
            f"“{article.title}” changed after you signed it (now version {article.version}), so "
            f"your approval of version {min(s.version for s in signoffs) if signoffs else '?'} "
            f"no longer counts and the article is back under review.\n\nChange: {reason}\n\n"
            f"See what changed and sign again: {_workspace_url(article)}\n"
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
    article = assignment.article
    _send(
        subject=f"[Review overdue] “{article.title}”",
        body=(
            f"Your review of “{article.title}” was due on {assignment.due_on:%d %B %Y}. "
            f"Please review and sign it, or tell the editors if you cannot.\n\n{_workspace_url(article)}\n"
        ),
        to=[assignment.reviewer],
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
