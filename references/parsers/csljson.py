"""CSL-JSON: an array of items (or one item), each located by the line it starts on."""

from __future__ import annotations

import datetime
import json
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
)
from references.parsers.normalise import (
    ET_AL,
    clean_text,
    clean_title,
    date_from,
    doi_and_link,
    kind_from_types,
    normalise_pages,
    note_values,
    person,
    status_from,
    year_from,
)

Kind = Reference.Kind

# Every item type of the CSL 1.0.2 schema: a valid export is never refused for its type.
CSL_TYPES: dict[str, str] = {
    "article": Kind.JOURNAL_ARTICLE,  # a preprint
    "article-journal": Kind.JOURNAL_ARTICLE,
    "review": Kind.JOURNAL_ARTICLE,
    "review-book": Kind.JOURNAL_ARTICLE,
    "article-magazine": Kind.NEWS_ARTICLE,
    "article-newspaper": Kind.NEWS_ARTICLE,
    "periodical": Kind.GENERIC,
    "book": Kind.BOOK,
    "classic": Kind.BOOK,
    "collection": Kind.BOOK,
    "manuscript": Kind.BOOK,
    "pamphlet": Kind.BOOK,
    "chapter": Kind.CHAPTER,
    "entry": Kind.CHAPTER,
    "entry-dictionary": Kind.CHAPTER,
    "entry-encyclopedia": Kind.CHAPTER,
    "paper-conference": Kind.CONFERENCE_PAPER,
    "speech": Kind.CONFERENCE_PAPER,
    "thesis": Kind.THESIS,
    "report": Kind.REPORT,
    "standard": Kind.REPORT,
    "webpage": Kind.WEB_PAGE,
    "post-weblog": Kind.WEB_PAGE,
    "post": Kind.WEB_PAGE,
    "dataset": Kind.DATASET,
    "software": Kind.SOFTWARE,
    "patent": Kind.PATENT,
    "bill": Kind.LEGAL,
    "hearing": Kind.LEGAL,
    "legal_case": Kind.LEGAL,
    "legislation": Kind.LEGAL,
    "regulation": Kind.LEGAL,
    "treaty": Kind.LEGAL,
    "personal_communication": Kind.PERSONAL_COMMUNICATION,
    "interview": Kind.PERSONAL_COMMUNICATION,
    "broadcast": Kind.GENERIC,
    "document": Kind.GENERIC,
    "event": Kind.GENERIC,
    "figure": Kind.GENERIC,
    "graphic": Kind.GENERIC,
    "map": Kind.GENERIC,
    "motion_picture": Kind.GENERIC,
    "musical_score": Kind.GENERIC,
    "performance": Kind.GENERIC,
    "song": Kind.GENERIC,
}
_CONTAINED = frozenset({Kind.CHAPTER, Kind.CONFERENCE_PAPER})
_BOOKISH = frozenset({Kind.BOOK, Kind.THESIS, Kind.REPORT})
_JSON_WS = re.compile(r"[ \t\n\r]*")


def parse_csljson(text: str) -> list[ParsedRecord]:
    """A CSL-JSON array of items (or one item), each item located by its first line."""
    text = text.lstrip("\ufeff")
    decoder = json.JSONDecoder()
    items: list[tuple[int, int, Any]] = []
    position = _JSON_WS.match(text, 0).end()  # type: ignore[union-attr]

    def line_at(index: int) -> int:
        return text.count("\n", 0, index) + 1

    def refuse(error: json.JSONDecodeError | None, message: str, index: int) -> ReferenceFileError:
        line = error.lineno if error else line_at(index)
        detail = f" ({error.msg.removesuffix(' at')}, column {error.colno})" if error else ""
        return ReferenceFileError(
            [
                ImportProblem(
                    f"{message}{detail}." + (looks_like(text, Format.CSLJSON) if not items else ""),
                    record=len(items) + 1,
                    line=line,
                )
            ]
        )

    if position >= len(text) or text[position] not in "[{":
        raise refuse(None, "a CSL-JSON file is a JSON array of items “[{…}, …]”", position)
    if text[position] == "{":
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise refuse(error, "the item is not valid JSON: it may be cut off", position) from None
        items.append((line_at(position), line_at(end), item))
        position = end
    else:
        position = _JSON_WS.match(text, position + 1).end()  # type: ignore[union-attr]
        if text.startswith("]", position):
            position += 1
        else:
            while True:
                try:
                    item, end = decoder.raw_decode(text, position)
                except json.JSONDecodeError as error:
                    raise refuse(
                        error, "the item is not valid JSON: it may be cut off", position
                    ) from None
                items.append((line_at(position), line_at(end), item))
                position = _JSON_WS.match(text, end).end()  # type: ignore[union-attr]
                if text.startswith(",", position):
                    position = _JSON_WS.match(text, position + 1).end()  # type: ignore[union-attr]
                    continue
                if text.startswith("]", position):
                    position += 1
                    break
                if position >= len(text):
                    raise refuse(
                        None,
                        "the file ends before the array is closed with “]”: it looks truncated",
                        position,
                    )
                raise refuse(None, "expected “,” or “]” after the item", position)
    rest = _JSON_WS.match(text, position).end()  # type: ignore[union-attr]
    if rest < len(text):
        raise ReferenceFileError(
            [
                ImportProblem(
                    "there is text after the end of the JSON array.",
                    line=line_at(rest),
                )
            ]
        )
    if not items:
        raise ReferenceFileError([ImportProblem("the file holds no CSL-JSON item.", line=1)])
    return [_csl_record(i, start, end, item) for i, (start, end, item) in enumerate(items, 1)]


def _csl_names(value: Any) -> tuple[list[dict[str, str]], bool]:
    authors, more = [], False
    for name in value if isinstance(value, list) else []:
        if not isinstance(name, dict):
            continue
        literal = clean_text(name.get("literal"))
        # Both particles belong to the family name as NLM writes it ("de Gaulle C").
        family = clean_text(
            " ".join(
                str(name.get(k) or "")
                for k in ("dropping-particle", "non-dropping-particle", "family")
            )
        )
        if (literal or family).lower() in ET_AL:
            more = True
        elif clean_text(name.get("family")):
            given = clean_text(name.get("given"))
            authors.append(person(family, given, clean_text(name.get("suffix"))))
        elif literal:
            authors.append({"literal": literal})
    return authors, more


def _csl_date(value: Any, *, whole: bool) -> Any:
    """`{"date-parts": [[2024, 3, 5]]}` -> 2024, or with `whole` date(2024, 3, 5).

    A whole date given only as a year or month is dropped: the field needs a day.
    """
    raw = value
    if isinstance(value, dict):
        parts = value.get("date-parts")
        raw = value.get("raw") or value.get("literal")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            try:
                numbers = [int(p) for p in parts[0]]
            except (TypeError, ValueError):
                return clean_text(parts[0])
            if not whole:
                return numbers[0]
            if len(numbers) < 3:
                return None
            try:
                return datetime.date(*numbers[:3])
            except ValueError:
                return "-".join(str(n) for n in numbers[:3])
    if not isinstance(raw, str | int):
        return None
    return date_from(str(raw)) if whole else year_from(raw)


def _csl_record(number: int, start: int, end: int, item: Any) -> ParsedRecord:
    b = RecordBuilder(start)
    if not isinstance(item, dict):
        return b.record(
            number=number,
            line=start,
            end_line=end,
            problems=["a CSL-JSON item is a JSON object “{…}”."],
        )
    problems: list[str] = []

    def text_of(key: str) -> str:
        value = item.get(key)
        return clean_text(value) if isinstance(value, str | int) else ""

    def put(target: str, *keys: str, convert: Callable[[str], Any] = lambda v: v) -> None:
        for key in keys:
            text = text_of(key)
            if text:
                b.set(target, convert(text), key)
                return

    csl_type = text_of("type")
    authors, more = _csl_names(item.get("author"))
    b.set("authors", authors, "author")
    if more:
        b.set("more_authors", True, "author")
    b.set("year", _csl_date(item.get("issued"), whole=False), "issued")
    b.set("accessed_on", _csl_date(item.get("accessed"), whole=True), "accessed")
    put("volume", "volume")
    put("issue", "issue")
    put("pages", "page", convert=normalise_pages)
    doi_key = "DOI" if text_of("DOI") else "doi"
    doi, short_doi_link = doi_and_link(text_of(doi_key))
    b.set("doi", doi, doi_key)
    put("pmid", "PMID", "pmid")
    put("pmcid", "PMCID", "pmcid")
    put("url", "URL", "url")
    b.set("url", short_doi_link, doi_key)
    b.set("status", status_from([text_of("status")]), "status")
    put("publisher", "publisher")
    put("place", "publisher-place", "event-place")
    put("edition", "edition")
    notes = note_values([text_of("note"), str(item.get("note") or "")])
    for key in ("pmid", "pmcid"):
        if key in notes and key not in b.fields:
            b.set(key, notes[key], "note")
    container = text_of("container-title")
    journal = text_of("container-title-short") or text_of("journalAbbreviation") or container
    if csl_type in CSL_TYPES:
        kind = kind_from_types([text_of("genre")], CSL_TYPES[csl_type])
    elif csl_type:
        # Not a CSL type (a tool's own): what the item holds decides, as for an untyped RIS GEN.
        kind = Kind.JOURNAL_ARTICLE if journal else Kind.GENERIC
    else:
        kind = Kind.JOURNAL_ARTICLE if journal else Kind.GENERIC
        problems.append("the item has no “type”.")
    b.fields["kind"] = kind
    b.sources["kind"] = ("type", start)
    put("title", "title", convert=clean_title)
    editors, _ = _csl_names(item.get("editor"))
    b.set("editors", editors, "editor")  # a chapter's book's editors, or an edited book's
    if kind in _CONTAINED or kind == Kind.WEB_PAGE:
        b.set("container_title", container, "container-title")
    elif kind not in _BOOKISH:
        b.set(
            "journal",
            journal,
            "container-title-short" if text_of("container-title-short") else "container-title",
        )
    label = item.get("id")
    return b.record(
        number=number,
        line=start,
        end_line=end,
        label=str(label) if isinstance(label, str | int) else "",
        superseded_by=notes.get("superseded-by", ""),
        problems=problems,
    )
