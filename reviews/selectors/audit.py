"""Tamper evidence and the evidence dossier: the audit chains walked, and one article's whole
editorial record as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from articles.models import Article
from references.selectors import references_for_keys
from reviews import risk
from reviews.checkpoints import checkpoints
from reviews.diff import diff_fields, diff_versions, plain_fields
from reviews.models import AuditEvent, ReviewComment, SignOff
from reviews.records import GENESIS


@dataclass(frozen=True)
class ChainBreak:
    model: str
    pk: int
    article_id: int
    reason: str

    def __str__(self) -> str:
        return f"{self.model} {self.pk} (article {self.article_id}): {self.reason}"


def chain_breaks(*, article_ids: Any = None) -> Iterator[ChainBreak]:
    """Walk every article's audit and sign-off chains, in the order written, yielding each break.

    A row breaks the chain when its keyed hash no longer matches its content (it was edited, or
    written by someone without the audit key) or when it does not point at the row before it (a
    row was removed, inserted or reordered). Then each chain's checkpoint, kept outside the
    database, must still name a row of it unchanged: otherwise its newest rows were removed.
    """
    for model in (AuditEvent, SignOff):
        rows = model.objects.order_by("article_id", "pk")
        wanted = {c.pk: c for c in checkpoints(model=model.__name__)}
        if article_ids is not None:
            rows = rows.filter(article_id__in=article_ids)
            chosen = set(article_ids)
            wanted = {pk: c for pk, c in wanted.items() if c.article_id in chosen}
        previous: dict[int, str] = {}
        for row in rows.iterator(chunk_size=2000):
            expected_previous = previous.get(row.article_id, GENESIS)
            if row.chain_previous != expected_previous:
                yield ChainBreak(
                    model.__name__,
                    row.pk,
                    row.article_id,
                    "does not follow the row before it (a row was removed, added or reordered)",
                )
            elif not row.verify():
                yield ChainBreak(
                    model.__name__,
                    row.pk,
                    row.article_id,
                    "its content no longer matches its hash "
                    "(it was changed, or written without the audit key)",
                )
            checkpoint = wanted.pop(row.pk, None)
            if checkpoint is not None and (
                checkpoint.article_id != row.article_id or checkpoint.chain_hash != row.chain_hash
            ):
                yield ChainBreak(
                    model.__name__,
                    row.pk,
                    row.article_id,
                    "differs from the checkpoint recorded outside the database",
                )
            previous[row.article_id] = row.chain_hash
        for checkpoint in wanted.values():
            yield ChainBreak(
                model.__name__,
                checkpoint.pk,
                checkpoint.article_id,
                "the checkpointed newest row is missing (rows were removed from the end)",
            )


def article_dossier(*, article: Article) -> dict[str, Any]:
    """Everything an investigator or accreditation body asks for about one article, as plain data.

    Every version with its full content and who saved it and why; the word-level differences
    between consecutive versions (clinical changes marked); every sign-off with its statement
    and whether it still verifies; comments and their resolution; conflicts declared by the
    reviewers; the references cited; the audit trail and whether its chain verifies.
    """
    versions = list(
        article.history.select_related("history_user").order_by("version", "history_id")
    )
    version_rows = []
    for previous, current in zip([None, *versions], versions, strict=False):
        changes = []
        if previous is not None:
            changes = [
                {
                    "field": d.audience,
                    "html": str(d.html),
                    "clinical": [
                        {"old": c.old, "new": c.new, "reasons": list(c.reasons)}
                        for c in d.clinical_changes
                    ],
                }
                for d in [
                    *diff_fields(plain_fields(previous), plain_fields(current)),
                    *diff_versions(previous.texts, current.texts),
                ]
                if d.changed
            ]
        version_rows.append(
            {
                "version": current.version,
                "content_hash": current.content_hash,
                "saved_at": current.history_date.isoformat(),
                "saved_by": current.history_user.get_username() if current.history_user else None,
                "reason": current.history_change_reason or "",
                "weight": current.change_weight,
                "title": current.title,
                "summary": current.summary,
                "texts": current.texts,
                "citation_keys": current.citation_keys,
                "related_ids": current.related_ids,
                "changes_from_previous": changes,
            }
        )
    hashes = {v.version: v.content_hash for v in versions}
    signoffs = list(
        SignOff.objects.filter(article=article)
        .select_related("reviewer__reviewer_profile")
        .order_by("pk")
    )
    references = references_for_keys({key for v in versions for key in (v.citation_keys or [])})
    comments = list(
        ReviewComment.objects.filter(article=article)
        .select_related("author", "resolution__resolved_by")
        .order_by("pk")
    )
    events = list(AuditEvent.objects.filter(article=article).select_related("actor").order_by("pk"))
    breaks = [str(b) for b in chain_breaks(article_ids=[article.pk])]
    reviewers = {s.reviewer_id: s.reviewer for s in signoffs}
    return {
        "article": {
            "id": article.pk,
            "slug": article.slug,
            "title": article.title,
            "current_version": article.version,
            "content_hash": article.content_hash,
            "live_version": article.live_version.version if article.live_version_id else None,
            "live_pending_review": article.live_pending_review,
            "state": article.workflow.state,
            "review_cycle": article.workflow.cycle,
            "approvals_needed": article.workflow.approvals_needed,
            # Why: doses found, or an editor's raise or lowering with its reason.
            "approvals_reason": risk.explanation(workflow=article.workflow),
            "approvals_lowered": article.workflow.approvals_needed
            < article.workflow.approvals_computed,
            "last_reviewed_on": article.workflow.last_reviewed_on.isoformat()
            if article.workflow.last_reviewed_on
            else None,
            "next_review_due": article.workflow.next_review_due.isoformat()
            if article.workflow.next_review_due
            else None,
            "authors": [a.get_username() for a in article.authors.all()],
        },
        "versions": version_rows,
        "signoffs": [
            {
                "id": s.pk,
                "reviewer": s.reviewer.get_username(),
                "printed_name": s.printed_name,
                "credentials": s.credentials,
                "meaning": s.meaning,
                "meaning_label": s.get_meaning_display(),
                "statement": s.statement,
                "note": s.note,
                "signed_at": s.signed_at.isoformat(),
                "version": s.version,
                "content_hash": s.content_hash,
                "cycle": s.cycle,
                "record_verifies": s.verify(),
                "matches_version": hashes.get(s.version) == s.content_hash,
                "chain_hash": s.chain_hash,
            }
            for s in signoffs
        ],
        "conflicts_declared": [
            {
                "reviewer": user.get_username(),
                "name": getattr(
                    getattr(user, "reviewer_profile", None), "signature_name", user.get_username()
                ),
                "conflicts_of_interest": getattr(
                    getattr(user, "reviewer_profile", None), "conflicts_of_interest", ""
                ),
            }
            for user in reviewers.values()
        ],
        "comments": [
            {
                "id": c.pk,
                "parent": c.parent_id,
                "author": c.author.get_username(),
                "version": c.version,
                "audience": c.audience,
                "quote": c.quote,
                "body": c.body,
                "created_at": c.created_at.isoformat(),
                "resolved": (
                    {
                        "by": c.resolution.resolved_by.get_username(),
                        "at": c.resolution.resolved_at.isoformat(),
                        "note": c.resolution.note,
                    }
                    if hasattr(c, "resolution")
                    else None
                ),
            }
            for c in comments
        ],
        "references": [
            {
                "citekey": r.citekey,
                "kind": r.kind,
                "title": r.title,
                "year": r.year,
                "doi": r.doi,
                "pmid": r.pmid,
                "pmcid": r.pmcid,
                "retracted_on": r.retracted_on.isoformat() if r.retracted_on else None,
                "superseded_by": r.superseded_by_id,
            }
            for r in sorted(
                {r.pk: r for r in references.values()}.values(), key=lambda r: r.citekey
            )
        ],
        "audit_trail": [
            {
                "id": e.pk,
                "at": e.created_at.isoformat(),
                "actor": e.actor.get_username() if e.actor else None,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "version": e.version,
                "content_hash": e.content_hash,
                "note": e.note,
                "chain_hash": e.chain_hash,
            }
            for e in events
        ],
        "audit_chain_verifies": not breaks,
        "audit_chain_breaks": breaks,
    }
