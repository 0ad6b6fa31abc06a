"""An article's public history: each version readers were shown, and what changed in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.core.paginator import Page
from django.db.models import F, Subquery
from django.db.models.functions import Coalesce

from articles.models import Article, ChangeWeight
from public.selectors.listing import page_with_count
from reviews.models import AuditEvent, Meaning, SignOff

WEIGHT_ORDER = [ChangeWeight.MINOR, ChangeWeight.SUBSTANTIVE, ChangeWeight.CONCLUSIONS]


@dataclass(frozen=True)
class PublishedVersion:
    """One entry of an article's public history: a version that readers were shown."""

    version: int
    published_at: datetime
    pending_review: bool
    weight: ChangeWeight
    changes: list[str]
    edited_by: list[str]
    reviewers: list[SignOff]


def public_history(
    *, article: Article, page_number: Any, per_page: int = 20
) -> tuple[Page, list[PublishedVersion]]:
    """Every publication of the article, newest first, with what changed since the one before.

    Only versions that went live appear, and only their metadata: no draft text. Three queries
    per page (publications with their count, the versions they span, the approvals), whatever
    the number of versions.
    """
    publications = AuditEvent.objects.filter(
        article=article, action__in=["publish", "publish_pending_review"]
    )
    page = page_with_count(
        publications.order_by("-created_at", "-pk").only(
            "version", "created_at", "action", "content_hash"
        ),
        page_number=page_number,
        per_page=per_page,
    )
    published = list(page)
    if not published:
        return page, []
    # The versions saved since the publication before this page's oldest, which each row carries
    # (`earlier`, one sub-select), so a page's first entry lists its changes too.
    earlier_publication = (
        publications.filter(version__lt=min(e.version for e in published))
        .order_by("-version")
        .values("version")[:1]
    )
    rows = list(
        article.history.annotate(earlier=Coalesce(Subquery(earlier_publication), 0))
        .filter(version__gt=F("earlier"), version__lte=max(e.version for e in published))
        .select_related("history_user")
        .only(
            "version",
            "history_change_reason",
            "change_weight",
            "history_user__first_name",
            "history_user__last_name",
            "history_user__username",
            "id",
        )
        .order_by("version")
    )
    earlier = rows[0].earlier if rows else 0
    # By version and hash: a restored copy of signed text is a new version its old signers did
    # not sign.
    signoffs: dict[tuple[int, str], list[SignOff]] = {}
    for signoff in SignOff.objects.filter(
        article=article,
        meaning=Meaning.APPROVED,
        version__in={e.version for e in published},
        content_hash__in={e.content_hash for e in published},
    ).order_by("signed_at", "pk"):
        # Only a row exactly as written with the audit key names a reviewer: an edited or forged
        # one is left out (checked on the rows loaded, no query), as on the article page.
        if signoff.verify():
            signoffs.setdefault((signoff.version, signoff.content_hash), []).append(signoff)
    entries = []
    published_versions = sorted({e.version for e in published} | {earlier})
    for event in published:
        previous = max((v for v in published_versions if v < event.version), default=0)
        span = [r for r in rows if previous < r.version <= event.version]
        weights = [ChangeWeight(r.change_weight) for r in span] or [ChangeWeight.SUBSTANTIVE]
        entries.append(
            PublishedVersion(
                version=event.version,
                published_at=event.created_at,
                pending_review=event.action == "publish_pending_review",
                weight=max(weights, key=WEIGHT_ORDER.index),
                changes=[r.history_change_reason for r in span if r.history_change_reason],
                edited_by=sorted(
                    {
                        (r.history_user.get_full_name() or r.history_user.get_username())
                        for r in span
                        if r.history_user
                    }
                ),
                reviewers=[]
                if event.action == "publish_pending_review"
                else signoffs.get((event.version, event.content_hash), []),
            )
        )
    return page, entries


class LazyHistory:
    """`public_history` run only when the page's template asks for it: the history page keeps
    its rendered list under the public-pages epoch (every publication, sign-off and audit event
    moves it), so most requests never run the selector's three queries."""

    def __init__(self, *, article: Article, page_number: Any) -> None:
        self.article = article
        self.page_number = page_number

    @cached_property
    def _found(self) -> tuple[Page, list[PublishedVersion]]:
        return public_history(article=self.article, page_number=self.page_number)

    @property
    def page_obj(self) -> Page:
        return self._found[0]

    @property
    def entries(self) -> list[PublishedVersion]:
        return self._found[1]
