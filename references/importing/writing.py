"""Write a checked plan: new references in bulk, then the fills of existing ones, with history.

References are written with simple-history's `bulk_create_with_history` and
`bulk_update_with_history`, which write the history rows in bulk too (plain
`bulk_create`/`bulk_update` would leave them without history, and saving one by one is ten
times slower: see bench/import_references.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from references.importing.plan import Action, ImportPlan, PlannedReference, Progress
from references.models import Reference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

BATCH_SIZE = 500


def write(plan: ImportPlan, *, user: AbstractBaseUser | None, progress: Progress | None) -> None:
    """Save what `plan` says, inside the caller's transaction; the plan must have been checked."""
    reason = f"Imported from {plan.filename}"[:100]
    step = progress("Writing", len(plan.rows)) if progress else (lambda n: None)
    by_key = {row.citekey: row for row in plan.rows}
    pending = [row for row in plan.rows if row.action == Action.CREATE]
    # A new reference superseded by another new one is written after it, so the link is part of
    # its first (and only) history row.
    while pending:
        ready = [
            row
            for row in pending
            if not row.superseded_by
            or by_key.get(row.superseded_by) is None
            or by_key[row.superseded_by].reference.pk is not None
        ]
        if not ready:
            raise RuntimeError("A superseded-by loop passed the checks.")  # refused when planning
        for row in ready:
            if row.superseded_by:
                row.reference.superseded_by = _reference(row.superseded_by, by_key)
        for start in range(0, len(ready), BATCH_SIZE):
            batch = [row.reference for row in ready[start : start + BATCH_SIZE]]
            bulk_create_with_history(
                batch,
                Reference,
                batch_size=BATCH_SIZE,
                default_user=user,
                default_change_reason=reason,
            )
            step(len(batch))
        ready_ids = {id(row) for row in ready}
        pending = [row for row in pending if id(row) not in ready_ids]
    # Updates in groups that fill the same fields: one UPDATE … CASE per batch, and their
    # history rows in bulk (saving 10,000 rows one by one took 20 s on SQLite).
    groups: dict[tuple[str, ...], list[Reference]] = {}
    now = timezone.now()
    for row in plan.rows:
        if row.action != Action.UPDATE:
            continue
        if row.superseded_by:
            row.reference.superseded_by = _reference(row.superseded_by, by_key)
        row.reference.updated_at = now
        groups.setdefault(tuple(sorted(row.filled)), []).append(row.reference)
    for filled, refs in groups.items():
        bulk_update_with_history(
            refs,
            Reference,
            fields=[*filled, "updated_at"],
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
        )
        step(len(refs))


def _reference(citekey: str, by_key: dict[str, PlannedReference]) -> Reference:
    row = by_key.get(citekey)
    return row.reference if row else Reference.objects.get(citekey=citekey)
