"""Sign-offs and audit events as rows, each linked into its article's hash chain.

bulk_create skips ChainedRecord.save, so the chain is computed here with the model's own
compute_chain_hash (HMAC under the current audit key): the app's chain check then accepts the generated history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from bench.generation.articles import Draft
from bench.generation.workflow import History
from reviews.models import AuditEvent, Meaning, SignOff
from reviews.records import GENESIS


def _chain(row: Any, previous: str) -> str:
    """Link a bulk-created row into its article's hash chain, as ChainedRecord.save does."""
    if hasattr(row, "compute_chain_hash"):
        row.chain_previous = previous
        # Keyed as the app keys it: the generated rows verify under the running key.
        row.chain_key_id = settings.EDITORIAL_AUDIT_KEY_ID
        row.chain_hash = row.compute_chain_hash()
        return row.chain_hash
    return previous


def signoff_rows(
    draft: Draft, history: History, *, profiles: dict[int, Any], pks: Any
) -> list[Any]:
    """The history's sign-offs, bound to their version's hash and chained in order."""
    rows = []
    previous = GENESIS
    for target, r, meaning, at, note in history.signoffs:
        profile = profiles[r.pk]
        statement = (
            f"I have reviewed the whole of “{draft.title}”, version {target.version} "
            f"(SHA-256 {target.content_hash}), in every audience's text, and sign it as: "
            f"{Meaning(meaning).label}."
        )
        so = SignOff(
            pk=next(pks),
            article_id=draft.plan.pk,
            version=target.version,
            content_hash=target.content_hash,
            cycle=1,
            reviewer_id=r.pk,
            printed_name=profile.display_name,
            credentials=profile.credentials,
            meaning=meaning,
            statement=statement,
            note=note,
            signed_at=at,
        )
        previous = _chain(so, previous)
        rows.append(so)
    return rows


def audit_rows(draft: Draft, history: History, *, pks: Any) -> list[Any]:
    """The history's events as audit rows, chained in order."""
    rows = []
    previous = GENESIS
    for action, frm, to, version, actor, at, note in history.events:
        ev = AuditEvent(
            pk=next(pks),
            article_id=draft.plan.pk,
            actor_id=actor.pk,
            action=action,
            from_state=frm,
            to_state=to,
            version=version.version,
            content_hash=version.content_hash,
            note=note,
            created_at=at,
        )
        previous = _chain(ev, previous)
        rows.append(ev)
    return rows
