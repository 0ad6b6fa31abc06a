"""The two entry points: plan an import without writing, or plan and write it in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from references.importing.plan import ImportPlan, ImportRefused, PlanChanged, Progress
from references.importing.planning import Planner
from references.importing.writing import write
from references.parsers import (
    Format,
    ImportProblem,
    ReferenceFileError,
    format_for_filename,
    parse_references,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


# Leaving records out can make others invalid (a superseded-by link to a skipped record):
# planning again settles within a few rounds, and a file that never settles is refused.
_SKIP_ROUNDS = 5


def references_import_plan(
    *,
    data: bytes,
    filename: str,
    fmt: Format | str | None = None,
    progress: Progress | None = None,
    skip_invalid: bool = False,
    merge: frozenset[int] = frozenset(),
) -> ImportPlan:
    """What importing the file would do, and every problem found. Writes nothing.

    With `skip_invalid` the records that have problems are left out (listed in `plan.skipped`)
    and the rest is planned; problems of the file itself still refuse it. `merge` names the
    records the editor says are the library reference they are a possible duplicate of.
    """
    plan = ImportPlan(filename=filename, format=None)
    try:
        plan.format = Format(fmt) if fmt else format_for_filename(filename)
        records = parse_references(data, fmt=plan.format)
    except ReferenceFileError as error:
        plan.problems, plan.file_error = error.problems, True
        return plan
    except ValueError:
        plan.file_error = True
        plan.problems = [
            ImportProblem(f"“{fmt}” is not a format: use one of {', '.join(Format.values)}.")
        ]
        return plan
    Planner(plan, records, progress, merge=merge).run()
    skipped: list[ImportProblem] = []
    for _ in range(_SKIP_ROUNDS):
        if not skip_invalid or plan.ok or any(p.record is None for p in plan.problems):
            break
        skipped += plan.problems
        invalid = {p.record for p in plan.problems}
        records = [record for record in records if record.number not in invalid]
        plan = ImportPlan(filename=filename, format=plan.format)
        Planner(plan, records, None, merge=merge).run()
    plan.skipped = sorted(skipped, key=lambda p: (p.record or 0, p.line or 0))
    return plan


def references_import(
    *,
    data: bytes,
    filename: str,
    fmt: Format | str | None = None,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    expected_digest: str | None = None,
    progress: Progress | None = None,
    skip_invalid: bool = False,
    merge: frozenset[int] = frozenset(),
) -> ImportPlan:
    """Import the file in one transaction, or raise ImportRefused having written nothing.

    The plan is made inside the transaction, so it is checked against the library as it is when
    the writing starts. With `expected_digest` (the digest of a plan an editor confirmed) it
    raises PlanChanged instead of doing something other than what was shown. With `dry_run` the
    plan is returned and nothing is written. `skip_invalid` imports the valid records and
    leaves out the invalid ones (named in `plan.skipped`); by default one problem refuses all.
    """
    try:
        with transaction.atomic():
            plan = references_import_plan(
                data=data,
                filename=filename,
                fmt=fmt,
                progress=progress,
                skip_invalid=skip_invalid,
                merge=merge,
            )
            if not plan.ok:
                raise ImportRefused(plan)
            if expected_digest is not None and plan.digest() != expected_digest:
                raise PlanChanged(plan)
            if not dry_run:
                write(plan, user=user, progress=progress)
    except IntegrityError as error:
        # Someone added the same DOI, PMID or citekey between the checks and the writing.
        plan.problems = [
            ImportProblem(
                "the library changed while importing (a reference with the same DOI, PMID or "
                f"citekey was added meanwhile): nothing was written. Try again. ({error})"
            )
        ]
        raise ImportRefused(plan) from error
    return plan
