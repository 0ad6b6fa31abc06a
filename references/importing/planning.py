"""Decide what each record of a file does: create, fill an existing reference, or nothing.

`Planner` runs the checks in order (identifiers, repeats, library matches, citekeys,
superseded-by links, `full_clean()`) and puts every problem on the plan, so the editor sees all
of them at once rather than one per attempt. Matching lives in `matching`, keys in `citekeys`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from references.importing.citekeys import assign_citekeys
from references.importing.matching import Library, Matcher, shared_matches
from references.importing.plan import Action, ImportPlan, PlannedReference, Progress
from references.models import Reference
from references.parsers import Format, ImportProblem, ParsedRecord

# Fields an import may fill on an existing reference when the library has no value for them.
FILLABLE = (
    "authors",
    "title",
    "journal",
    "container_title",
    "editors",
    "year",
    "volume",
    "issue",
    "pages",
    "publisher",
    "place",
    "edition",
    "url",
    "accessed_on",
    "doi",
    "pmid",
    "pmcid",
)
TITLE_TAGS = {
    Format.RIS: "TI",
    Format.BIBTEX: "title",
    Format.MEDLINE: "TI",
    Format.CSLJSON: "title",
}
_MODEL_FIELDS = frozenset(f.name for f in Reference._meta.fields)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


class Planner:
    """Decides what each record does; all problems go to `plan.problems`."""

    def __init__(
        self,
        plan: ImportPlan,
        records: list[ParsedRecord],
        progress: Progress | None,
        *,
        merge: frozenset[int] = frozenset(),
    ) -> None:
        self.plan = plan
        self.merge = merge  # records the editor said are their possible duplicate
        self.records = records
        self.step = progress("Checking", len(records)) if progress else (lambda n: None)
        self.matcher = Matcher(records)
        self.repeats: set[int] = set()  # numbers of records refused as repeats of earlier ones

    def problem(
        self, record: ParsedRecord, message: str, *, line: int | None = None, field: str = ""
    ) -> None:
        """Put a problem of `record` on the plan, at `line` or the record's first line."""
        self.plan.problems.append(
            ImportProblem(message, record=record.number, line=line or record.line, field=field)
        )

    def run(self) -> None:
        """Fill `plan.rows` and `plan.problems`; the plan is acceptable if no problem was found."""
        for record in self.records:
            for message in record.problems:
                self.problem(record, message)
            self.normalise_identifiers(record)
        possible: dict[int, str] = {}
        for repeat in self.matcher.repeats():
            if repeat.certain:
                self.repeats.add(repeat.record.number)
                self.problem(repeat.record, repeat.message)
            else:
                possible[repeat.record.number] = repeat.message
        library = self.matcher.library_matches()
        rows = [self.plan_row(record, library) for record in self.records]
        planned = [row for row in rows if row is not None]
        for row in planned:
            if row.action == Action.CREATE and row.record.number in possible:
                row.possible = possible[row.record.number]
        for row, message in shared_matches(planned, self.repeats):
            self.problem(row.record, message)
        assign_citekeys(planned)
        self.link_superseded(planned)
        for row in rows:
            if row is not None:
                self.validate(row)
            self.step(1)
        self.plan.rows = planned
        self.plan.problems.sort(key=lambda p: (p.record or 0, p.line or 0))

    def normalise_identifiers(self, record: ParsedRecord) -> None:
        """DOI, PMID and PMCID in the library's form, so they match; a malformed one is a problem."""
        for name, normalise in Reference.IDENTIFIERS:
            value = record.fields.get(name)
            if not value:
                continue
            try:
                record.fields[name] = normalise(str(value))
            except ValidationError as error:
                record.fields.pop(name)
                self.problem(
                    record,
                    f"{self.label(record, name)}: {error.messages[0]}",
                    line=record.line_of(name),
                    field=self.label(record, name),
                )

    @staticmethod
    def label(record: ParsedRecord, name: str) -> str:
        """The field's name, with the file's tag for it when that differs: `doi (DO)`."""
        tag = record.tag_of(name)
        return f"{name} ({tag})" if tag and tag != name else name

    def plan_row(self, record: ParsedRecord, library: Library) -> PlannedReference | None:
        """The row for `record`: a new reference, or its library match with the fields it fills."""
        fields = record.fields
        match = self.matcher.match(record, library)
        if match.conflict:
            self.problem(record, match.conflict)
            return None
        if match.possible is not None and record.number in self.merge:
            match.reference, match.matched_by = match.possible, "the editor's choice"
        if match.reference is None:
            values = {k: v for k, v in fields.items() if k in _MODEL_FIELDS}
            return PlannedReference(
                record=record,
                action=Action.CREATE,
                reference=Reference(**values),
                superseded_by=record.superseded_by,
                possible=(
                    f"possible duplicate of library reference “{match.possible.citekey}”: "
                    f"{match.why}."
                    if match.possible
                    else ""
                ),
                possible_of=match.possible,
            )
        row = PlannedReference(
            record=record,
            action=Action.DUPLICATE,
            reference=match.reference,
            matched_by=match.matched_by,
            superseded_by=record.superseded_by,
            possible_of=match.possible,
        )
        for name in FILLABLE:
            new, old = fields.get(name), getattr(match.reference, name)
            if _empty(new):
                continue
            if _empty(old):
                setattr(match.reference, name, new)
                row.filled.append(name)
            elif name in {"doi", "pmid", "pmcid"} and str(old).lower() != str(new).lower():
                row.kept.append((name, str(old), str(new)))
        if row.filled:
            row.action = Action.UPDATE
        return row

    def link_superseded(self, rows: list[PlannedReference]) -> None:
        """`superseded-by: key` names a record of this file (by its key) or a library reference."""
        in_file: dict[str, PlannedReference] = {}
        for row in rows:
            in_file.setdefault(row.citekey, row)
            if row.record.label:
                in_file.setdefault(row.record.label.strip().lower(), row)
        wanted = {row.superseded_by.lower() for row in rows if row.superseded_by}
        library = {
            r.citekey: r for r in Reference.objects.filter(citekey__in=wanted - set(in_file))
        }
        for row in rows:
            key = row.superseded_by.lower()
            if not key:
                continue
            target = in_file.get(key)
            if target is row or (
                target and target.reference.pk and target.reference.pk == row.reference.pk
            ):
                self.problem(row.record, "a reference cannot be superseded by itself.")
            elif target is None and key not in library:
                self.problem(
                    row.record,
                    f"it is superseded by “{key}”, which is neither in the file nor in the library.",
                )
            elif row.reference.superseded_by_id is None:
                row.superseded_by = target.citekey if target else key
                if row.action == Action.DUPLICATE:
                    row.action = Action.UPDATE
                if "superseded_by" not in row.filled and row.action == Action.UPDATE:
                    row.filled.append("superseded_by")
            else:
                current = row.reference.superseded_by.citekey
                if current != (target.citekey if target else key):
                    row.kept.append(("superseded_by", current, key))
                row.superseded_by = ""  # the library already says what replaces it
        chains = {row.citekey: row.superseded_by for row in rows if row.superseded_by}
        for row in rows:
            seen, key = {row.citekey}, chains.get(row.citekey)
            while key in chains and key not in seen:
                seen.add(key)
                key = chains[key]
            if key in seen:
                self.problem(
                    row.record,
                    f"“{row.citekey}” is superseded, through “{row.superseded_by}”, by itself.",
                )

    def validate(self, row: PlannedReference) -> None:
        """`full_clean()` of what would be saved; uniqueness is checked for the whole file above."""
        if row.action == Action.DUPLICATE:
            return
        exclude: list[str] = []
        if row.action == Action.UPDATE:
            exclude = [f.name for f in Reference._meta.fields if f.name not in row.filled]
        elif not row.reference.title.strip():
            tag = TITLE_TAGS.get(self.plan.format, "title") if self.plan.format else "title"
            self.problem(
                row.record,
                f"it has no title ({tag}): is the record cut off?",
                field=f"title ({tag})",
            )
            exclude = ["title"]
        try:
            row.reference.full_clean(
                exclude=exclude or None, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.problem(
                        row.record,
                        f"{self.label(row.record, name)}: {message}",
                        line=row.record.line_of(name),
                        field=self.label(row.record, name),
                    )
