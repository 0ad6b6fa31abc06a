"""A plan as the preview shows it, and an import's report, as plain JSON-able dicts.

A big file is previewed by a task, so its preview is stored and rendered later: building the
same dict for a small file's preview keeps one template and one shape for both.
"""

from __future__ import annotations

from typing import Any

from references.importing.plan import Action, ImportPlan, PlannedReference
from references.parsers import ImportProblem
from references.vancouver import format_reference_text

PREVIEW_ROWS = 500  # a preview lists this many records (and choices); the counts cover all
REPORT_ITEMS = 5000  # a report names this many references per list; the counts cover all


def _problem(problem: ImportProblem, filename: str) -> dict[str, Any]:
    return {
        "file": filename,
        "record": problem.record,
        "line": problem.line,
        "field": problem.field,
        "message": problem.message,
        "located": problem.located(filename),
    }


def _possible(row: PlannedReference) -> str:
    if row.possible:
        return row.possible
    of = row.possible_of.citekey if row.possible_of is not None else ""
    return f"possible duplicate of library reference “{of}”."


def preview_summary(plan: ImportPlan) -> dict[str, Any]:
    """What the preview page shows of `plan`: counts, the first rows, every problem, choices."""
    choices = [row for row in plan.rows if row.possible_of is not None]
    return {
        "filename": plan.filename,
        "format": plan.format.label if plan.format else "",
        "ok": plan.ok,
        "skippable": plan.skippable,
        "digest": plan.digest() if plan.ok else "",
        "counts": plan.counts,
        "total": len(plan.rows),
        "problems": [_problem(p, plan.filename) for p in plan.problems],
        "skipped": [_problem(p, plan.filename) for p in plan.skipped],
        "skipped_records": len(plan.skipped_records),
        "choices": [
            {
                "record": row.record.number,
                "line": row.record.line,
                "possible": _possible(row),
                "of": row.possible_of.citekey if row.possible_of is not None else "",
                "merged": row.action != Action.CREATE,
                "entry": format_reference_text(row.reference),
            }
            for row in choices[:PREVIEW_ROWS]
        ],
        "hidden_choices": max(0, len(choices) - PREVIEW_ROWS),
        "rows": [
            {
                "record": row.record.number,
                "line": row.record.line,
                "action": row.action.value,
                "filled": row.filled,
                "matched_by": row.matched_by,
                "citekey": row.citekey,
                "entry": format_reference_text(row.reference),
                "kept": row.kept,
                "possible": row.possible if row.possible_of is None else "",
            }
            for row in plan.rows[:PREVIEW_ROWS]
        ],
        "hidden_rows": max(0, len(plan.rows) - PREVIEW_ROWS),
    }


def import_report(plan: ImportPlan) -> dict[str, Any]:
    """What an import did: references created, updated (with the fields), merged, skipped."""
    merged = plan.merged
    merged_ids = {id(row) for row in merged}
    created = [row.citekey for row in plan.rows if row.action == Action.CREATE]
    updated = [
        {"citekey": row.citekey, "filled": row.filled}
        for row in plan.rows
        if row.action == Action.UPDATE and id(row) not in merged_ids
    ]
    return {
        "counts": {
            **plan.counts,
            "merged": len(merged),
            "skipped": len(plan.skipped_records),
        },
        "created": created[:REPORT_ITEMS],
        "updated": updated[:REPORT_ITEMS],
        "merged": [
            {"record": row.record.number, "citekey": row.citekey} for row in merged[:REPORT_ITEMS]
        ],
        "skipped": [_problem(p, plan.filename) for p in plan.skipped[:REPORT_ITEMS]],
    }


def report_message(plan: ImportPlan) -> str:
    """The one-line success message: `Imported f.ris: 7 created, 0 updated, 0 duplicate.`"""
    counts = plan.counts
    text = (
        f"Imported {plan.filename}: {counts['create']} created, {counts['update']} updated, "
        f"{counts['duplicate']} duplicate."
    )
    if plan.merged:
        text += f" {len(plan.merged)} merged into their possible duplicate."
    if plan.skipped:
        text += f" {len(plan.skipped_records)} invalid record(s) skipped."
    return text
