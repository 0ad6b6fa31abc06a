"""Which records are one work: repeats within the file, and the library references they match.

A record matches a library reference by DOI (case-insensitively), else by PMID, else by PMCID,
else by normalised title and a year at most one apart, judged by `similarity.compare`: a match
only when nothing disagrees, a *possible* duplicate (shown to the editor, never merged without
their word) when something is uncertain. The same rules find a work listed twice in one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Lower

from references.importing.plan import PlannedReference
from references.importing.similarity import Verdict, compare, work_title_key
from references.models import Reference
from references.parsers import ParsedRecord

_QUERY_CHUNK = 900  # stays under SQLite's limit on query parameters

Library = dict[str, dict[Any, Any]]
"""Library references by "doi" (lower-cased), "pmid", "pmcid" and "title" ((key, year) -> list)."""


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = sorted(set(values))
    for start in range(0, len(values), _QUERY_CHUNK):
        yield values[start : start + _QUERY_CHUNK]


_COMPARED = ("doi", "pmid", "pmcid", "authors", "year", "journal", "volume", "issue", "pages")


def _fields_of(ref: Reference) -> dict[str, Any]:
    return {name: getattr(ref, name) for name in _COMPARED}


@dataclass
class Match:
    """The library reference a record is, and how that was found; or why it cannot say."""

    reference: Reference | None = None
    matched_by: str = ""  # "DOI", "PMID", "PMCID" or "title and year"
    conflict: str = ""  # the record's DOI and PMID name two different library references
    possible: Reference | None = None  # perhaps the same work: the editor decides
    why: str = ""  # what makes it uncertain


@dataclass
class Repeat:
    """A record that is (or may be) a work listed earlier in the file."""

    record: ParsedRecord
    first: ParsedRecord
    certain: bool
    message: str


class Matcher:
    """Compares a file's records with each other and with the library."""

    def __init__(self, records: list[ParsedRecord]) -> None:
        self.records = records
        # Normalising a title is the costly part of comparing: once per record.
        self.title_keys = {id(r): work_title_key(str(r.fields.get("title") or "")) for r in records}

    def title_key(self, record: ParsedRecord) -> tuple[str, int] | None:
        """(normalised title, year), or None when either is missing: then titles are not compared."""
        title, year = self.title_keys[id(record)], record.fields.get("year")
        return (title, year) if title and isinstance(year, int) else None

    def repeats(self) -> Iterator[Repeat]:
        """Each record that repeats an earlier one of the file, or may: a message naming both."""
        seen: dict[tuple[str, str], ParsedRecord] = {}
        by_title: dict[tuple[str, int], list[ParsedRecord]] = {}
        for record in self.records:
            first, same = None, ""
            for what, value in (
                ("DOI", record.fields.get("doi")),
                ("PMID", record.fields.get("pmid")),
                ("PMCID", record.fields.get("pmcid")),
                ("key", record.label.strip().lower()),
            ):
                if value:
                    first = seen.setdefault((what, value), record)
                    if first is not record:
                        same = f"same {what} “{value}”"
                        break
            title = self.title_key(record)
            if first is not None and first is not record:
                yield Repeat(
                    record,
                    first,
                    True,
                    f"this is the same reference as record {first.number} (line {first.line}): "
                    f"{same}. Remove one of them.",
                )
            elif title:
                possible = None
                for year in (title[1], title[1] - 1, title[1] + 1):
                    for earlier in by_title.get((title[0], year), ()):
                        verdict, why = compare(earlier.fields, record.fields)
                        if verdict == Verdict.SAME:
                            yield Repeat(
                                record,
                                earlier,
                                True,
                                f"this is the same reference as record {earlier.number} (line "
                                f"{earlier.line}): {why} “{record.fields.get('title')}” ({title[1]}). "
                                "Remove one of them.",
                            )
                            break
                        if verdict == Verdict.POSSIBLE and possible is None:
                            possible = Repeat(
                                record,
                                earlier,
                                False,
                                f"possible duplicate of record {earlier.number} (line "
                                f"{earlier.line}): {why}.",
                            )
                    else:
                        continue
                    break
                else:
                    if possible is not None:
                        yield possible
                by_title.setdefault(title, []).append(record)

    def library_matches(self) -> Library:
        """Library references sharing a DOI, else a PMID, else a PMCID, else a title with a record.

        Each step only looks for the records the previous steps did not match, so a file of
        references the library already has costs one pass over them.
        """
        by: Library = {"doi": {}, "pmid": {}, "pmcid": {}, "title": {}}
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
        pmcids = {r.fields["pmcid"] for r in rest if r.fields.get("pmcid")}
        for chunk in _chunks(pmcids):
            for ref in queryset.filter(pmcid__in=chunk):
                by["pmcid"][ref.pmcid] = ref
        rest = [r for r in rest if r.fields.get("pmcid") not in by["pmcid"]]
        wanted = {key for key in map(self.title_key, rest) if key}
        titles = {title for title, _ in wanted}
        # One year either side: the e-pub year of one record may be the print year of another.
        years = {year + step for _, year in wanted for step in (-1, 0, 1)}
        for chunk in _chunks(years):
            for ref in queryset.filter(year__in=chunk):
                key = work_title_key(ref.title)
                if key in titles:
                    by["title"].setdefault((key, ref.year), []).append(ref)
        return by

    def match(self, record: ParsedRecord, library: Library) -> Match:
        """The library reference `record` is, from `library_matches()`; an empty Match if none."""
        fields = record.fields
        doi, pmid, pmcid = fields.get("doi", ""), fields.get("pmid", ""), fields.get("pmcid", "")
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
        by_pmcid = library["pmcid"].get(pmcid) if pmcid else None
        if by_pmcid:
            return Match(by_pmcid, "PMCID")
        key = self.title_key(record)
        if key is None:
            return Match()
        possible = Match()
        for year in (key[1], key[1] - 1, key[1] + 1):
            for ref in library["title"].get((key[0], year), ()):
                verdict, why = compare(_fields_of(ref), fields)
                if verdict == Verdict.SAME:
                    return Match(ref, "title and year")
                if verdict == Verdict.POSSIBLE and possible.possible is None:
                    possible = Match(possible=ref, why=why)
        return possible


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
