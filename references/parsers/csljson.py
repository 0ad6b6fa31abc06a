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
    kind_from_hints,
    normalise_pages,
    note_values,
    person,
    year_from,
)

Kind = Reference.Kind

CSL_TYPES: dict[str, str] = {
    "article-journal": Kind.JOURNAL_ARTICLE,
    "article": Kind.JOURNAL_ARTICLE,
    "article-magazine": Kind.JOURNAL_ARTICLE,
    "review": Kind.JOURNAL_ARTICLE,
    "book": Kind.BOOK,
    "thesis": Kind.BOOK,
    "manuscript": Kind.BOOK,
    "chapter": Kind.CHAPTER,
    "paper-conference": Kind.CHAPTER,
    "entry-encyclopedia": Kind.CHAPTER,
    "entry-dictionary": Kind.CHAPTER,
    "webpage": Kind.WEB_PAGE,
    "post-weblog": Kind.WEB_PAGE,
    "post": Kind.WEB_PAGE,
}
_CSL_OPEN_TYPES = frozenset({"report", "document", "standard", "legislation", "regulation"})
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
        family = clean_text(
            " ".join(str(name.get(k) or "") for k in ("non-dropping-particle", "family"))
        )
        if (literal or family).lower() in ET_AL:
            more = True
        elif family:
            authors.append(person(family, clean_text(name.get("given"))))
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
    put("doi", "DOI", "doi")
    put("pmid", "PMID", "pmid")
    put("pmcid", "PMCID", "pmcid")
    put("url", "URL", "url")
    put("publisher", "publisher")
    put("place", "publisher-place", "event-place")
    put("edition", "edition")
    notes = note_values([text_of("note"), str(item.get("note") or "")])
    for key in ("pmid", "pmcid"):
        if key in notes and key not in b.fields:
            b.set(key, notes[key], "note")
    container = text_of("container-title")
    journal = text_of("container-title-short") or text_of("journalAbbreviation") or container
    hints = [text_of("genre")]
    if csl_type in CSL_TYPES:
        kind = CSL_TYPES[csl_type]
        if kind in {Kind.JOURNAL_ARTICLE, Kind.BOOK}:
            kind = kind_from_hints(hints, kind)
    elif csl_type in _CSL_OPEN_TYPES:
        kind = kind_from_hints(
            hints,
            (
                Kind.JOURNAL_ARTICLE
                if journal
                else Kind.WEB_PAGE
                if "url" in b.fields and csl_type == "document"
                else Kind.BOOK
            ),
        )
    else:
        kind = Kind.JOURNAL_ARTICLE
        problems.append(
            f"“{csl_type}” is not a CSL item type." if csl_type else "the item has no “type”."
        )
    b.fields["kind"] = kind
    b.sources["kind"] = ("type", start)
    put("title", "title", convert=clean_title)
    if kind == Kind.CHAPTER:
        b.set("container_title", container, "container-title")
        editors, _ = _csl_names(item.get("editor"))
        b.set("editors", editors, "editor")
    elif kind == Kind.WEB_PAGE:
        b.set("container_title", container, "container-title")
    elif kind != Kind.BOOK:
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
