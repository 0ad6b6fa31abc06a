"""Which records are one work: repeats within the file, and the library references they match.

A record matches a library reference by DOI (case-insensitively), else by PMID, else by
normalised title and year, and by title only when their DOIs, PMIDs and first authors do not
disagree. The same rules find a reference listed twice in one file, which the import refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Lower

from references.importing.plan import PlannedReference
from references.models import Reference
from references.parsers import ParsedRecord, ascii_slug, title_key

_QUERY_CHUNK = 900  # stays under SQLite's limit on query parameters

Library = dict[str, dict[Any, Any]]
"""Library references by "doi" (lower-cased), "pmid" and "title" ((title key, year) -> list)."""


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = sorted(set(values))
    for start in range(0, len(values), _QUERY_CHUNK):
        yield values[start : start + _QUERY_CHUNK]


def _first_author(authors: Any) -> str:
    first = (
        authors[0] if isinstance(authors, list) and authors and isinstance(authors[0], dict) else {}
    )
    return ascii_slug(str(first.get("family") or first.get("literal") or ""))


def _fields_of(ref: Reference) -> dict[str, Any]:
    return {"doi": ref.doi, "pmid": ref.pmid, "authors": ref.authors}


def same_work(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records with the same title and year are one work.

    Not when their DOIs, PMIDs or first authors differ: a correction shares its article's title,
    and "Hypophosphatasia" is the title of many chapters and pages.
    """
    for name in ("doi", "pmid"):
        if a.get(name) and b.get(name) and str(a[name]).lower() != str(b[name]).lower():
            return False
    first_a, first_b = _first_author(a.get("authors")), _first_author(b.get("authors"))
    return not (first_a and first_b and first_a != first_b)


@dataclass
class Match:
    """The library reference a record is, and how that was found; or why it cannot say."""

    reference: Reference | None = None
    matched_by: str = ""  # "DOI", "PMID" or "title and year"
    conflict: str = ""  # the record's DOI and PMID name two different library references


class Matcher:
    """Compares a file's records with each other and with the library."""

    def __init__(self, records: list[ParsedRecord]) -> None:
        self.records = records
        # Normalising a title is the costly part of comparing: once per record.
        self.title_keys = {id(r): title_key(str(r.fields.get("title") or "")) for r in records}

    def title_key(self, record: ParsedRecord) -> tuple[str, int] | None:
        """(normalised title, year), or None when either is missing: then titles are not compared."""
        title, year = self.title_keys[id(record)], record.fields.get("year")
        return (title, year) if title and isinstance(year, int) else None

    def repeats(self) -> Iterator[tuple[ParsedRecord, str]]:
        """Each record that repeats an earlier one of the file, with a message naming both."""
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
                first = next((r for r in earlier if same_work(r.fields, record.fields)), record)
                same = f"same title and year “{record.fields.get('title')}” ({title[1]})"
                earlier.append(record)
            if first is not None and first is not record:
                yield (
                    record,
                    f"this is the same reference as record {first.number} (line {first.line}): "
                    f"{same}. Remove one of them.",
                )

    def library_matches(self) -> Library:
        """Library references sharing a DOI, else a PMID, else a title and year with a record.

        Each step only looks for the records the previous steps did not match, so a file of
        references the library already has costs one pass over them.
        """
        by: Library = {"doi": {}, "pmid": {}, "title": {}}
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

    def match(self, record: ParsedRecord, library: Library) -> Match:
        """The library reference `record` is, from `library_matches()`; an empty Match if none."""
        fields = record.fields
        doi, pmid = fields.get("doi", ""), fields.get("pmid", "")
        by_doi = library["doi"].get(doi) if doi else None
        by_pmid = library["pmid"].get(pmid) if pmid else None
        if by_doi and by_pmid and by_doi.pk != by_pmid.pk:
            return Match(
                conflict=(
                    f"its DOI is that of library reference “{by_doi.citekey}” and its PMID that of "
                    f"“{by_pmid.citekey}”: one of them, or the file, is wrong."
                )
            )
        if by_doi:
            return Match(by_doi, "DOI")
        if by_pmid:
            return Match(by_pmid, "PMID")
        candidates = library["title"].get(self.title_key(record), [])
        found = next((ref for ref in candidates if same_work(_fields_of(ref), fields)), None)
        return Match(found, "title and year") if found else Match()


def shared_matches(
    rows: list[PlannedReference], repeats: set[int]
) -> Iterator[tuple[PlannedReference, str]]:
    """Rows matching a library reference an earlier row matched (by DOI and by PMID, say).

    Records already refused as repeats (their numbers in `repeats`) are not named again.
    """
    first_by_pk: dict[int, PlannedReference] = {}
    for row in rows:
        if row.reference.pk is None or row.record.number in repeats:
            continue
        first = first_by_pk.setdefault(row.reference.pk, row)
        if first is not row:
            yield (
                row,
                f"this is the same reference as record {first.record.number} (line "
                f"{first.record.line}): both are library reference “{row.citekey}”. Remove one of them.",
            )
