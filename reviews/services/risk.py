"""An editor raises or lowers the approvals an article needs, with a reason, in the audit trail.

The number is computed from the text (reviews.risk); an editor who judges otherwise says why.
Lowering is what lets a version with doses through on one signature, so it is shown wherever the
quorum is (the workspace page, the dossier), with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import Role
from articles.models import Article
from reviews import risk
from reviews.selectors.roles import roles_for
from reviews.services.records import article_locked, audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def approvals_set(
    *, article: Article, user: AbstractBaseUser, approvals: int | None, reason: str
) -> Article:
    """Set the approvals the article needs (None: back to the computed number), with a reason.

    Editors only; the reason is required and kept in the audit trail. Signatures already given
    are not touched: the number applies to the next decision.
    """
    article, workflow = article_locked(article)
    if Role.EDITOR not in roles_for(user=user, article=article, workflow=workflow):
        raise PermissionDenied("Only editors change how many approvals an article needs.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this article needs a different number."})
    if approvals is not None and not 1 <= approvals <= risk.MAX_APPROVALS:
        raise ValidationError(
            {"approvals": f"Choose between 1 and {risk.MAX_APPROVALS} approvals."}
        )
    before = workflow.approvals_needed
    computed = workflow.approvals_computed
    # Asking for what the text asks for anyway is no override: the computed number then follows
    # the text as it changes.
    workflow.approvals_override = None if approvals == computed else approvals
    workflow.approvals_override_reason = reason if workflow.approvals_override else ""
    workflow.save(update_fields=["approvals_override", "approvals_override_reason"])
    after = workflow.approvals_needed
    if after < computed:
        what = (
            f"lowered to {after} (computed {computed}: {risk.computed_reason(workflow=workflow)})"
        )
    elif after > computed:
        what = f"raised to {after} (computed {computed})"
    else:
        what = f"back to the computed {after}"
    audit_append(
        article=article,
        actor=user,
        action="approvals_set",
        from_state=workflow.state,
        to_state=workflow.state,
        note=f"Approvals needed {before} → {after}: {what}. Reason: {reason}",
    )
    return article
