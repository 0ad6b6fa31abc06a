"""Declared conflicts of interest: set only here, so every change is on the articles' audit trail.

A conflict stops a reviewer approving an article (`guards.signer_has_no_conflict`). Clearing one
silently would let a conflicted reviewer sign, so every article a change touches gets an audit
event naming the reviewer, and a reviewer newly declared conflicted loses their assignment to
the article's open round (a declaration does not wait for them to notice).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.models import Article
from reviews.models import Assignment, ReviewerProfile
from reviews.services.records import article_locked, audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def conflicts_set(
    *,
    profile: ReviewerProfile,
    articles: Iterable[Article],
    user: AbstractBaseUser,
    note: str = "",
) -> None:
    """Make `articles` the reviewer's declared conflicts; audit each article added or removed.

    Editors (and superusers) only: PermissionDenied otherwise. Each article touched is locked
    (in id order, as every service locks) and gets a "conflict_declared" or "conflict_cleared"
    event; a newly conflicted reviewer's assignment to the article's current round is removed.
    """
    if not (user.is_superuser or ROLE_GROUPS[Role.EDITOR] in user_group_names(user)):
        raise PermissionDenied("Only editors change a reviewer's declared conflicts.")
    profile = ReviewerProfile.objects.select_for_update().get(pk=profile.pk)
    wanted = {a.pk for a in articles}
    current = set(profile.conflicted_articles.values_list("pk", flat=True))
    added, removed = wanted - current, current - wanted
    for pk in sorted(added | removed):
        article, workflow = article_locked(Article(pk=pk))
        declared = pk in added
        if declared:
            # Open means the current round: earlier rounds' assignments are history.
            Assignment.objects.filter(
                article=article, reviewer_id=profile.user_id, cycle=workflow.cycle
            ).delete()
        what = "declared" if declared else "cleared"
        reason = f" {note.strip()}" if note.strip() else ""
        audit_append(
            article=article,
            actor=user,
            action=f"conflict_{what}",
            from_state=workflow.state,
            to_state=workflow.state,
            note=f"Conflict of interest of {profile.signature_name} {what}.{reason}",
        )
    profile.conflicted_articles.set(wanted)
