"""MEDLINE records as PubMed exports them (.nbib, "Save as PubMed format")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from references.models import Reference
from references.parsers.common import (
    Format,
    ImportProblem,
    ParsedRecord,
    RecordBuilder,
    ReferenceFileError,
    looks_like,
    shown,
    split_lines,
)
from references.parsers.normalise import (
    clean_text,
    clean_title,
    kind_from_types,
    name_from_text,
    normalise_pages,
    status_from,
    year_from,
)

Kind = Reference.Kind

_MEDLINE_TAG = re.compile(r"^([A-Z0-9]{2,4}) {0,2}- (.*)$")
_MEDLINE_CONTINUATION = "      "
_AID = re.compile(r"^(.+?)\s*\[(doi|pii|pmc)\]$", re.IGNORECASE)


def parse_medline(text: str) -> list[ParsedRecord]:
    """MEDLINE records as PubMed exports them: `TAG - value` lines, blank lines between records.

    A small reader of our own rather than the nbib package, which gives no line numbers.
    """
    records: list[list[tuple[str, str, int]]] = []
    current: list[tuple[str, str, int]] = []
    for number, line in enumerate(split_lines(text), 1):
        line = line.lstrip("\ufeff") if number == 1 else line
        if not line.strip():
            if current:
                records.append(current)
                current = []
            continue
        if line.startswith(_MEDLINE_CONTINUATION) and current:
            tag, value, where = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}", where)
            continue
        match = _MEDLINE_TAG.match(line)
        if not match:
            raise ReferenceFileError(
                [
                    ImportProblem(
                        f"“{shown(line)}” is neither a MEDLINE field (“TAG - value”) nor the "
                        "continuation of one (six spaces)."
                        + (looks_like(text, Format.MEDLINE) if not records else ""),
                        record=len(records) + 1,
                        line=number,
                    )
                ]
            )
        current.append((match.group(1), match.group(2).strip(), number))
    if current:
        records.append(current)
    if not records:
        raise ReferenceFileError([ImportProblem("the file holds no MEDLINE record.", line=1)])
    return [_medline_record(i, record) for i, record in enumerate(records, 1)]


def _medline_record(number: int, tags: list[tuple[str, str, int]]) -> ParsedRecord:
    start, end = tags[0][2], tags[-1][2]
    b = RecordBuilder(start)
    values: dict[str, list[tuple[str, int]]] = {}
    for tag, value, where in tags:
        values.setdefault(tag, []).append((value, where))

    def put(target: str, *names: str, convert: Callable[[str], Any] = lambda v: v) -> None:
        for name in names:
            if values.get(name):
                text, where = values[name][0]
                b.set(target, convert(text), name, where)
                return

    authors = []
    for tag, value, _ in tags:
        if tag == "AU":
            name = name_from_text(value)
            if name:
                authors.append(name)
        elif tag == "CN":
            authors.append({"literal": clean_text(value)})
    if not values.get("AU") and values.get("FAU"):
        authors = [n for n in (name_from_text(v) for v, _ in values["FAU"]) if n]
    b.set(
        "authors",
        authors,
        "AU",
        (values.get("AU") or values.get("FAU") or values.get("CN") or [("", start)])[0][1],
    )
    put("pmid", "PMID")
    put("year", "DP", convert=year_from)
    put("volume", "VI")
    put("issue", "IP")
    put("pages", "PG", convert=normalise_pages)
    put("pmcid", "PMC")
    for tag in ("LID", "AID"):
        for text, where in values.get(tag, []):
            match = _AID.match(text)
            if match and match.group(2).lower() == "doi" and "doi" not in b.fields:
                b.set("doi", match.group(1), tag, where)
    types = [text for text, _ in values.get("PT", [])]
    if values.get("BTI"):
        kind = Kind.CHAPTER if values.get("TI") else Kind.BOOK
    else:
        kind = kind_from_types(types, Kind.JOURNAL_ARTICLE)  # PT only: MH is the subject
    b.fields["kind"] = kind
    b.sources["kind"] = ("PT", (values.get("PT") or [("", start)])[0][1])
    status = status_from(text for text, _ in values.get("PST", []))
    if status:
        b.set("status", status, "PST", values["PST"][0][1])
    if kind == Kind.BOOK:
        put("title", "BTI", convert=clean_title)
    else:
        put("title", "TI", convert=clean_title)
    if kind in {Kind.BOOK, Kind.CHAPTER}:
        if kind == Kind.CHAPTER:
            put("container_title", "BTI", convert=clean_title)
        put("publisher", "PB")
        put("place", "PL")
        put("edition", "EN")
        editors = [n for n in (name_from_text(v) for v, _ in values.get("ED", [])) if n]
        b.set("editors", editors, "ED", (values.get("ED") or [("", start)])[0][1])
    else:
        put("journal", "TA", "JT")
    return b.record(number=number, line=start, end_line=end)
