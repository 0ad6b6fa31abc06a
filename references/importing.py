"""Import a reference file into the library: validate everything, then write all or nothing.

`references_import_plan` reads the file and decides, for every record, what the import would
do, without writing: *create* a new reference, *update* an existing one that gains fields it
lacks (a PMID, a PMCID…; a value the library already has is never overwritten), or nothing
because it is a *duplicate* of one already present. A record matches a library reference by
DOI (case-insensitively), else by PMID, else by normalised title and year.

Every record is checked with `Reference.full_clean()` before anything is written; one problem
anywhere refuses the whole file. A reference listed twice in the same file is such a problem
(the error names both records): the file, not the importer, must say which copy is right.

`references_import` applies a plan in one transaction. References are written with
simple-history's `bulk_create_with_history` and `bulk_update_with_history`, which write the
history rows in bulk too (plain `bulk_create`/`bulk_update` would leave them without history,
and saving one by one is ten times slower: see bench/import_references.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from references.identifiers import CITEKEY
from references.models import Reference
from references.parsers import (
    Format,
    ImportProblem,
    ParsedRecord,
    ReferenceFileError,
    ascii_slug,
    format_for_filename,
    parse_references,
    title_key,
)

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
BATCH_SIZE = 500
_QUERY_CHUNK = 900  # stays under SQLite's limit on query parameters

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

    @property
    def citekey(self) -> str:
        return self.reference.citekey


@dataclass
class ImportPlan:
    filename: str
    format: Format | None
    rows: list[PlannedReference] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

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
        """SHA-256 of what the plan would do; changes when the library or the file does."""
        text = "\n".join(
            f"{row.record.number}|{row.action}|{row.citekey}|{','.join(row.filled)}"
            for row in self.rows
        )
        return hashlib.sha256(text.encode()).hexdigest()


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


def references_import_plan(
    *, data: bytes, filename: str, fmt: Format | str | None = None, progress: Progress | None = None
) -> ImportPlan:
    """What importing the file would do, and every problem found. Writes nothing."""
    plan = ImportPlan(filename=filename, format=None)
    try:
        plan.format = Format(fmt) if fmt else format_for_filename(filename)
        records = parse_references(data, fmt=plan.format)
    except ReferenceFileError as error:
        plan.problems = error.problems
        return plan
    except ValueError:
        plan.problems = [
            ImportProblem(f"“{fmt}” is not a format: use one of {', '.join(Format.values)}.")
        ]
        return plan
    _Planner(plan, records, progress).run()
    return plan


def references_import(
    *,
    data: bytes,
    filename: str,
    fmt: Format | str | None = None,
    user: Any = None,
    dry_run: bool = False,
    expected_digest: str | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Import the file in one transaction, or raise ImportRefused having written nothing.

    The plan is made inside the transaction, so it is checked against the library as it is when
    the writing starts. With `expected_digest` (the digest of a plan an editor confirmed) it
    raises PlanChanged instead of doing something other than what was shown. With `dry_run` the
    plan is returned and nothing is written.
    """
    try:
        with transaction.atomic():
            plan = references_import_plan(data=data, filename=filename, fmt=fmt, progress=progress)
            if not plan.ok:
                raise ImportRefused(plan)
            if expected_digest is not None and plan.digest() != expected_digest:
                raise PlanChanged(plan)
            if not dry_run:
                _write(plan, user=user, progress=progress)
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


# --- planning ------------------------------------------------------------------------------


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = sorted(set(values))
    for start in range(0, len(values), _QUERY_CHUNK):
        yield values[start : start + _QUERY_CHUNK]


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _first_author(authors: Any) -> str:
    first = (
        authors[0] if isinstance(authors, list) and authors and isinstance(authors[0], dict) else {}
    )
    return ascii_slug(str(first.get("family") or first.get("literal") or ""))


def _fields_of(ref: Reference) -> dict[str, Any]:
    return {"doi": ref.doi, "pmid": ref.pmid, "authors": ref.authors}


def _same_work(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records with the same title and year are one work.

    Not when their DOIs, PMIDs or first authors differ: a correction shares its article's title,
    and "Hypophosphatasia" is the title of many chapters and pages.
    """
    for name in ("doi", "pmid"):
        if a.get(name) and b.get(name) and str(a[name]).lower() != str(b[name]).lower():
            return False
    first_a, first_b = _first_author(a.get("authors")), _first_author(b.get("authors"))
    return not (first_a and first_b and first_a != first_b)


class _Planner:
    """Decides what each record does; all problems go to `plan.problems`."""

    def __init__(
        self, plan: ImportPlan, records: list[ParsedRecord], progress: Progress | None
    ) -> None:
        self.plan = plan
        self.records = records
        self.step = progress("Checking", len(records)) if progress else (lambda n: None)
        self.title_keys = {id(r): title_key(str(r.fields.get("title") or "")) for r in records}
        self.repeats: set[int] = set()  # numbers of records refused as repeats of earlier ones

    def problem(self, record: ParsedRecord, message: str, *, line: int | None = None) -> None:
        self.plan.problems.append(
            ImportProblem(message, record=record.number, line=line or record.line)
        )

    def run(self) -> None:
        for record in self.records:
            for message in record.problems:
                self.problem(record, message)
            self.normalise_identifiers(record)
        self.refuse_repeats()
        library = self.library_matches()
        rows = [self.plan_row(record, library) for record in self.records]
        self.refuse_shared_matches([row for row in rows if row is not None])
        self.assign_citekeys([row for row in rows if row is not None])
        self.link_superseded([row for row in rows if row is not None])
        for row in rows:
            if row is not None:
                self.validate(row)
            self.step(1)
        self.plan.rows = [row for row in rows if row is not None]
        self.plan.problems.sort(key=lambda p: (p.record or 0, p.line or 0))

    def normalise_identifiers(self, record: ParsedRecord) -> None:
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
                )

    @staticmethod
    def label(record: ParsedRecord, name: str) -> str:
        tag = record.tag_of(name)
        return f"{name} ({tag})" if tag and tag != name else name

    def refuse_repeats(self) -> None:
        """A reference twice in the file is refused, naming both records."""
        seen: dict[tuple[str, str], ParsedRecord] = {}
        by_title: dict[tuple[str, int], list[ParsedRecord]] = {}
        for record in self.records:
            keys = [
                ("DOI", record.fields.get("doi")),
                ("PMID", record.fields.get("pmid")),
                ("key", record.label.strip().lower()),
            ]
            first = None
            for what, value in keys:
                if value:
                    first = seen.setdefault((what, value), record)
                    if first is not record:
                        same = f"same {what} “{value}”"
                        break
            title = self.title_key(record)
            if (first is None or first is record) and title:
                earlier = by_title.setdefault(title, [])
                first = next((r for r in earlier if _same_work(r.fields, record.fields)), record)
                same = f"same title and year “{record.fields.get('title')}” ({title[1]})"
                earlier.append(record)
            if first is not None and first is not record:
                self.repeats.add(record.number)
                self.problem(
                    record,
                    (
                        f"this is the same reference as record {first.number} (line {first.line}): "
                        f"{same}. Remove one of them."
                    ),
                )

    def title_key(self, record: ParsedRecord) -> tuple[str, int] | None:
        """(normalised title, year), or None when either is missing: then titles are not compared."""
        title, year = self.title_keys[id(record)], record.fields.get("year")
        return (title, year) if title and isinstance(year, int) else None

    def library_matches(self) -> dict[str, dict[Any, Any]]:
        """Library references sharing a DOI, else a PMID, else a title and year with a record.

        Each step only looks for the records the previous steps did not match, so a file of
        references the library already has costs one pass over them.
        """
        by: dict[str, dict[Any, Any]] = {"doi": {}, "pmid": {}, "title": {}}
        queryset = Reference.objects.select_related("superseded_by")
        dois = {r.fields["doi"] for r in self.records if r.fields.get("doi")}
        for chunk in _chunks(dois):
            for ref in queryset.annotate(doi_lower=Lower("doi")).filter(doi_lower__in=chunk):
                by["doi"][ref.doi.lower()] = ref
        rest = [r for r in self.records if r.fields.get("doi") not in by["doi"]]
        # Also the PMIDs of DOI matches that hold another PMID: it may be another reference's.
        pmids = {r.fields["pmid"] for r in rest if r.fields.get("pmid")} | {
            r.fields["pmid"]
            for r in self.records
            if r.fields.get("pmid")
            and r.fields.get("doi") in by["doi"]
            and by["doi"][r.fields["doi"]].pmid != r.fields["pmid"]
        }
        for chunk in _chunks(pmids):
            for ref in queryset.filter(pmid__in=chunk):
                by["pmid"][ref.pmid] = ref
        rest = [r for r in rest if r.fields.get("pmid") not in by["pmid"]]
        wanted = {key for key in map(self.title_key, rest) if key}
        for chunk in _chunks({year for _, year in wanted}):
            for ref in queryset.filter(year__in=chunk):
                key = (title_key(ref.title), ref.year)
                if key in wanted:
                    by["title"].setdefault(key, []).append(ref)
        return by

    def plan_row(
        self, record: ParsedRecord, library: dict[str, dict[Any, Any]]
    ) -> PlannedReference | None:
        fields = record.fields
        doi, pmid = fields.get("doi", ""), fields.get("pmid", "")
        by_doi = library["doi"].get(doi) if doi else None
        by_pmid = library["pmid"].get(pmid) if pmid else None
        if by_doi and by_pmid and by_doi.pk != by_pmid.pk:
            self.problem(
                record,
                (
                    f"its DOI is that of library reference “{by_doi.citekey}” and its PMID that of "
                    f"“{by_pmid.citekey}”: one of them, or the file, is wrong."
                ),
            )
            return None
        match, matched_by = (
            (by_doi, "DOI") if by_doi else (by_pmid, "PMID") if by_pmid else (None, "")
        )
        if match is None:
            candidates = library["title"].get(self.title_key(record), [])
            match = next((ref for ref in candidates if _same_work(_fields_of(ref), fields)), None)
            matched_by = "title and year" if match else ""
        if match is None:
            values = {k: v for k, v in fields.items() if k in _MODEL_FIELDS}
            return PlannedReference(
                record=record,
                action=Action.CREATE,
                reference=Reference(**values),
                superseded_by=record.superseded_by,
            )
        row = PlannedReference(
            record=record,
            action=Action.DUPLICATE,
            reference=match,
            matched_by=matched_by,
            superseded_by=record.superseded_by,
        )
        for name in FILLABLE:
            new, old = fields.get(name), getattr(match, name)
            if _empty(new):
                continue
            if _empty(old):
                setattr(match, name, new)
                row.filled.append(name)
            elif name in {"doi", "pmid", "pmcid"} and str(old).lower() != str(new).lower():
                row.kept.append((name, str(old), str(new)))
        if row.filled:
            row.action = Action.UPDATE
        return row

    def refuse_shared_matches(self, rows: list[PlannedReference]) -> None:
        """Two records matching one library reference (by DOI and by PMID, say) are a repeat too."""
        first_by_pk: dict[int, PlannedReference] = {}
        for row in rows:
            if row.reference.pk is None or row.record.number in self.repeats:
                continue
            first = first_by_pk.setdefault(row.reference.pk, row)
            if first is not row:
                self.problem(
                    row.record,
                    (
                        f"this is the same reference as record {first.record.number} (line "
                        f"{first.record.line}): both are library reference “{row.citekey}”. Remove one of them."
                    ),
                )

    def assign_citekeys(self, rows: list[PlannedReference]) -> None:
        """The file's own key when it is a valid citekey and free; else author-year (+ a, b…)."""
        taken = set(Reference.objects.values_list("citekey", flat=True))
        new = [row for row in rows if row.action == Action.CREATE]
        labelled: dict[int, str] = {}
        for row in new:
            label = row.record.label.strip().lower()
            if CITEKEY.match(label) and re.search("[a-z]", label) and label not in taken:
                labelled[id(row)] = label
                taken.add(label)
        for row in new:
            key = labelled.get(id(row))
            if key is None:
                base = _citekey_base(row.record.fields)
                key = next(k for k in _with_suffixes(base) if k not in taken)
                taken.add(key)
            row.reference.citekey = key

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
            self.problem(row.record, f"it has no title ({tag}): is the record cut off?")
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
                    )


def _citekey_base(fields: dict[str, Any]) -> str:
    """first-author-family-year, as lower-case ASCII: "Villa-Suárez", 2021 -> villa-suarez-2021."""
    authors = fields.get("authors") or []
    first = authors[0] if authors and isinstance(authors[0], dict) else {}
    name = (
        first.get("family")
        or first.get("literal")
        or " ".join(str(fields.get("title") or "").split()[:3])
    )
    slug = ascii_slug(str(name))[:40].strip("-") or "ref"
    year = fields.get("year")
    return f"{slug}-{year if isinstance(year, int) else 'nd'}"


def _with_suffixes(base: str) -> Iterator[str]:
    """base, basea, baseb … basez, baseaa, baseab …"""
    yield base
    letters = "abcdefghijklmnopqrstuvwxyz"
    length = 1
    while True:
        for n in range(len(letters) ** length):
            suffix = ""
            for _ in range(length):
                n, r = divmod(n, len(letters))
                suffix = letters[r] + suffix
            yield f"{base}{suffix}"
        length += 1


# --- writing -------------------------------------------------------------------------------


def _write(plan: ImportPlan, *, user: Any, progress: Progress | None) -> None:
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
