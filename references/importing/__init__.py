"""Import a reference file into the library: validate everything, then write all or nothing.

`references_import_plan` reads the file and decides, for every record, what the import would
do, without writing: *create* a new reference, *update* an existing one that gains fields it
lacks (a PMID, a PMCID…; a value the library already has is never overwritten), or nothing
because it is a *duplicate* of one already present. A record matches a library reference by
DOI (case-insensitively), else by PMID, else by PMCID, else by normalised title, year and first
author when no volume, issue, pages or journal disagree; an uncertain match is a *possible*
duplicate, created apart unless the editor merges it (`merge`), never merged silently.

Every record is checked with `Reference.full_clean()` before anything is written; one problem
anywhere refuses the whole file, unless the caller asks to skip the invalid records
(`skip_invalid`: they are listed, with their problems, in `plan.skipped`). A reference listed twice in the same file is such a problem
(the error names both records): the file, not the importer, must say which copy is right.

`references_import` applies a plan in one transaction (see `writing` for how it writes history
in bulk).

Modules: `plan` (what an import would do), `matching` (repeats and library matches),
`similarity` (whether two records are one work),
`citekeys`, `planning` (the checks in order), `writing`, `service` (the entry points). This
module re-exports what the rest of the project uses.
"""

from references.importing.plan import (
    Action,
    ImportPlan,
    ImportRefused,
    PlanChanged,
    PlannedReference,
    Progress,
)
from references.importing.service import references_import, references_import_plan

__all__ = [
    "Action",
    "ImportPlan",
    "ImportRefused",
    "PlanChanged",
    "PlannedReference",
    "Progress",
    "references_import",
    "references_import_plan",
]
