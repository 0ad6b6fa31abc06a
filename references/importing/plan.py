"""What an import would do: the plan an editor previews and confirms, and why one is refused.

Kept apart from the planning and writing code so views, the command and tests can name a plan's
shape without pulling in how it is made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from references.models import Reference
from references.parsers import Format, ImportProblem, ParsedRecord

Progress = Callable[[str, int], Callable[[int], None]]
"""`progress(phase, total)` returns the function to call with each step's count."""


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DUPLICATE = "duplicate"


@dataclass
class PlannedReference:
    """What the import does with one record of the file."""

    record: ParsedRecord
    action: Action
    reference: Reference  # unsaved when created; the library's own row (with fills) otherwise
    matched_by: str = ""  # "DOI", "PMID" or "title and year"
    filled: list[str] = field(default_factory=list)
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # field, library, file
    superseded_by: str = ""
    # Perhaps a work the library or an earlier record already holds: why, and the library's
    # reference (None for an earlier record of the file). Kept apart unless the editor merges.
    possible: str = ""
    possible_of: Reference | None = None

    @property
    def citekey(self) -> str:
        return self.reference.citekey


@dataclass
class ImportPlan:
    filename: str
    format: Format | None
    rows: list[PlannedReference] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # With skip_invalid: the records left out, with every problem that made them invalid.
    skipped: list[ImportProblem] = field(default_factory=list)
    file_error: bool = False  # the file itself could not be read: no record can be skipped

    @property
    def skipped_records(self) -> list[int]:
        return sorted({p.record for p in self.skipped if p.record is not None})

    def skipped_messages(self) -> list[str]:
        """Every problem of a skipped record as `file, record N (line L): what`."""
        return [problem.located(self.filename) for problem in self.skipped]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for row in self.rows:
            counts[row.action.value] += 1
        return counts

    def messages(self) -> list[str]:
        """Every problem as `file, record N (line L): what`."""
        return [problem.located(self.filename) for problem in self.problems]

    def digest(self) -> str:
        """SHA-256 of what the plan would do; changes when the library, the file or a choice does.

        The editor's answers (merge or keep each possible duplicate, skip the invalid records)
        are part of it: a confirmation carrying other answers than the preview it names is
        refused, so what is written is always what was shown.
        """
        text = "\n".join(
            f"{row.record.number}|{row.action}|{row.citekey}|{','.join(row.filled)}"
            + (f"|possible|{row.possible_of.pk}" if row.possible_of is not None else "")
            for row in self.rows
        )
        text += "\nskipped:" + ",".join(map(str, self.skipped_records))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def merged(self) -> list[PlannedReference]:
        """The possible duplicates the editor merged into the library reference."""
        return [
            row for row in self.rows if row.possible_of is not None and row.action != Action.CREATE
        ]

    @property
    def skippable(self) -> bool:
        """Every problem is one record's, so importing the rest is possible."""
        return (
            bool(self.problems)
            and not self.file_error
            and all(p.record is not None for p in self.problems)
        )


class ImportRefused(Exception):
    """The file was refused; nothing was written. `plan.messages()` says why."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__("\n".join(plan.messages()))
        self.plan = plan


class PlanChanged(Exception):
    """The library changed since the preview, so the import would now do something else."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__("The library changed since the preview.")
        self.plan = plan
