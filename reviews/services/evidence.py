"""Evidence writes: a recorded reason to go ahead despite a recommended check, and the alert
raised on every citing article when a reference is retracted or superseded."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles.models import Article
from references.models import Reference
from reviews import notifications
from reviews.checks import article_checks
from reviews.models import CheckWaiver
from reviews.selectors.roles import roles_for
from reviews.services.errors import WorkflowError
from reviews.services.records import article_locked, audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def check_waive(
    *, article: Article, user: AbstractBaseUser, check_key: str, reason: str
) -> CheckWaiver:
    """Record why a recommended check may fail on this exact version; a later change needs a new one."""
    article, workflow = article_locked(article)
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles & {Role.AUTHOR, Role.EDITOR}:
        raise PermissionDenied(
            "Only the article's authors and editors record why a check may fail."
        )
    result = next((c for c in article_checks(article=article) if c.key == check_key), None)
    if result is None:
        raise WorkflowError("waive", [f"There is no check “{check_key}”."], code="unknown_check")
    if not result.waivable:
        why = (
            "it passes"
            if result.passed
            else ("it is required" if result.level == "required" else "it is already waived")
        )
        raise WorkflowError(
            "waive", [f"“{result.label}” cannot be waived: {why}."], code="not_waivable"
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why it is right to go ahead."})
    waiver = CheckWaiver.objects.create(
        article=article,
        version=article.version,
        content_hash=article.content_hash,
        check_key=check_key,
        reason=reason.strip(),
        waived_by=user,
    )
    audit_append(
        article=article,
        actor=user,
        action="waive_check",
        from_state=workflow.state,
        to_state=workflow.state,
        note=f"{result.label}: {reason.strip()}",
    )
    return waiver


def articles_citing(reference: Reference) -> list[Article]:
    """Every article whose working or live version cites the reference (by any of its keys)."""
    keys = set(reference.marker_keys)
    citing = []
    for article in (
        Article.objects.select_related("live_version", "workflow")
        .only(
            "slug",
            "title",
            "citation_keys",
            "sources",
            "version",
            "content_hash",
            "live_version__citation_keys",
            "live_version__sources",
            "live_version__version",
            "live_version__content_hash",
            "workflow__state",
            "workflow__next_review_due",
            "workflow__id",
        )
        .iterator(chunk_size=500)
    ):
        # Listed sources count: readers see them as further reading.
        used = {*article.citation_keys, *article.sources}
        if article.live_version_id:
            used |= {*article.live_version.citation_keys, *(article.live_version.sources or ())}
        if keys & used:
            citing.append(article)
    return citing


@transaction.atomic
def reference_flag(
    *,
    reference: Reference,
    user: AbstractBaseUser,
    retracted_on: date | None = None,
    retraction_notice_url: str = "",
    superseded_by: Reference | None = None,
) -> list[Article]:
    """Mark a reference retracted or superseded, and flag every article that cites it.

    Published citing articles become due for re-review today, get an audit event saying why,
    and the editors are mailed. Returns the flagged articles.
    """
    if ROLE_GROUPS[Role.EDITOR] not in user_group_names(user):
        raise PermissionDenied("Only editors change the status of library references.")
    if retracted_on is None and superseded_by is None:
        raise ValidationError("Say whether the reference was retracted or superseded.")
    if retracted_on is not None:
        reference.retracted_on = retracted_on
        reference.retraction_notice_url = retraction_notice_url
        why = f"cited source {reference.citekey} was retracted on {retracted_on:%d %B %Y}"
    else:
        reference.superseded_by = superseded_by
        why = f"cited source {reference.citekey} is superseded by {superseded_by.citekey}"
    reference.full_clean()
    reference._history_user = user  # type: ignore[attr-defined]
    reference.save()
    today = timezone.localdate()
    citing = articles_citing(reference)
    # The audit events below extend each article's chain: hold the rows' locks (in id order).
    list(
        Article.objects.select_for_update()
        .filter(pk__in=[a.pk for a in citing])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for article in citing:
        workflow = article.workflow
        if article.live_version_id and (
            workflow.next_review_due is None or workflow.next_review_due > today
        ):
            workflow.next_review_due = today
            workflow.save(update_fields=["next_review_due"])
        audit_append(
            article=article,
            actor=user,
            action="evidence_alert",
            from_state=workflow.state,
            to_state=workflow.state,
            note=f"Re-review needed: {why}.",
        )
    if citing:
        notifications.notify_evidence_alert(reason=why, articles=citing)
    return citing
