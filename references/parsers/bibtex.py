"""BibTeX / BibLaTeX entries, read by bibtexparser, their LaTeX decoded by pylatexenc."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import bibtexparser
from bibtexparser.middlewares.names import (
    NameParts,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from references.models import Reference
from references.parsers.bibtex_values import (
    BadValue,
    flatten,
    inherit,
    latex_to_text,
    resolve_strings,
)
from references.parsers.common import (
    Format,
    ImportProblem,
    ParsedRecord,
    RecordBuilder,
    ReferenceFileError,
    looks_like,
    split_lines,
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
    url_from,
    year_from,
)

Kind = Reference.Kind

# Every BibTeX and biblatex entry type (and the aliases tools write); unknown ones are generic.
BIBTEX_TYPES: dict[str, str] = {
    "article": Kind.JOURNAL_ARTICLE,
    "review": Kind.JOURNAL_ARTICLE,
    "suppperiodical": Kind.JOURNAL_ARTICLE,
    "book": Kind.BOOK,
    "mvbook": Kind.BOOK,
    "booklet": Kind.BOOK,
    "manual": Kind.BOOK,
    "collection": Kind.BOOK,
    "mvcollection": Kind.BOOK,
    "reference": Kind.BOOK,
    "mvreference": Kind.BOOK,
    "proceedings": Kind.BOOK,
    "mvproceedings": Kind.BOOK,
    "inbook": Kind.CHAPTER,
    "bookinbook": Kind.CHAPTER,
    "suppbook": Kind.CHAPTER,
    "incollection": Kind.CHAPTER,
    "suppcollection": Kind.CHAPTER,
    "inreference": Kind.CHAPTER,
    "inproceedings": Kind.CONFERENCE_PAPER,
    "conference": Kind.CONFERENCE_PAPER,
    "thesis": Kind.THESIS,
    "phdthesis": Kind.THESIS,
    "mastersthesis": Kind.THESIS,
    "report": Kind.REPORT,
    "techreport": Kind.REPORT,
    "standard": Kind.REPORT,
    "online": Kind.WEB_PAGE,
    "www": Kind.WEB_PAGE,
    "webpage": Kind.WEB_PAGE,
    "electronic": Kind.WEB_PAGE,
    "dataset": Kind.DATASET,
    "software": Kind.SOFTWARE,
    "patent": Kind.PATENT,
    "jurisdiction": Kind.LEGAL,
    "legislation": Kind.LEGAL,
    "legal": Kind.LEGAL,
    "letter": Kind.PERSONAL_COMMUNICATION,
    "newsarticle": Kind.NEWS_ARTICLE,
}
_BIBTEX_OPEN_TYPES = frozenset({"misc", "unpublished"})
_CONTAINED = frozenset({Kind.CHAPTER, Kind.CONFERENCE_PAPER})
_BOOKISH = frozenset({Kind.BOOK, Kind.THESIS, Kind.REPORT})
# Identifiers and links keep their characters: LaTeX decoding would eat a "%" or "_" in them.
_BIBTEX_RAW_FIELDS = frozenset(
    {"doi", "url", "pmid", "pmcid", "eprint", "eprinttype", "urldate", "date", "year"}
)


def parse_bibtex(text: str) -> list[ParsedRecord]:
    """BibTeX / BibLaTeX entries; macros expanded, crossref inherited, LaTeX decoded, names split.

    bibtexparser finds the blocks; their values are read by `bibtex_values` (see why there).
    """
    library = bibtexparser.parse_string(text, parse_stack=[])
    strings = resolve_strings([(s.key, str(s.value)) for s in library.strings])
    problems: list[ImportProblem] = []
    numbered: list[tuple[int, Entry]] = []
    data: list[Entry] = []  # biblatex @xdata: fields for other entries, not a reference
    for block in library.blocks:
        if not isinstance(block, Entry | ParsingFailedBlock):
            continue
        if isinstance(block, Entry) and block.entry_type.lower() == "xdata":
            try:
                flatten(block, strings)
                data.append(block)
            except BadValue:
                pass  # a broken @xdata shows where it is used: its fields are missing there
            continue
        number = len(numbered) + len(problems) + 1
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateFieldKeyBlock):
            block = block.ignore_error_block  # a repeated field: its values are joined
        if isinstance(block, DuplicateBlockKeyBlock):
            first = (block.previous_block.start_line or 0) + 1 if block.previous_block else "?"
            problems.append(
                ImportProblem(
                    f"the key “{block.key}” is used twice in the file: by this entry and by the entry at "
                    f"line {first}. Each reference must appear once.",
                    record=number,
                    line=line,
                )
            )
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            if not isinstance(block.error, Exception) or not reason:
                reason = "the entry cannot be read"
            problems.append(
                ImportProblem(
                    f"the entry is malformed: {clean_text(reason)} (is it cut off or missing a brace?)",
                    record=number,
                    line=line,
                )
            )
        else:
            try:
                flatten(block, strings)
            except BadValue as error:
                problems.append(ImportProblem(f"{error.reason}.", record=number, line=error.line))
                continue
            numbered.append((number, block))
    if problems:
        raise ReferenceFileError(problems)
    if not numbered:
        first_line = next((i for i, line in enumerate(split_lines(text), 1) if line.strip()), 1)
        raise ReferenceFileError(
            [
                ImportProblem(
                    "the file holds no BibTeX entry (“@article{key, …}”)."
                    + looks_like(text, Format.BIBTEX),
                    record=1,
                    line=first_line,
                )
            ]
        )
    inherit([*data, *(entry for _, entry in numbered)])
    return [_bibtex_record(number, entry) for number, entry in numbered]


def _bibtex_names(value: str) -> tuple[list[dict[str, str]], bool]:
    """Authors or editors from "A and B and {C}": a wholly braced name is corporate."""
    authors, more = [], False
    for text in split_multiple_persons_names(value):
        text = text.strip()
        if text.startswith("{") and text.endswith("}") and text.count("{") == 1:
            literal = clean_text(latex_to_text(text))  # "{World Health Organization}"
            if literal:
                authors.append({"literal": literal})
            continue
        name: NameParts = parse_single_name_into_parts(text)
        last = clean_text(latex_to_text(" ".join([*name.von, *name.last])))
        first = clean_text(latex_to_text(" ".join(name.first)))
        if not first and last.lower() in ET_AL:
            more = True
        elif last:
            # A lone unbraced name ("Aristotle") is a person with no initials, not a body.
            authors.append(person(last, first, latex_to_text(" ".join(name.jr))))
    return authors, more


def _bibtex_record(number: int, entry: Entry) -> ParsedRecord:
    fields = {f.key.lower(): f for f in entry.fields}
    line = (entry.start_line or 0) + 1
    b = RecordBuilder(line)
    problems: list[str] = []

    def value(*names: str) -> tuple[str, str, int]:
        for name in names:
            f = fields.get(name)
            if f is None:
                continue
            text = f.value if isinstance(f.value, str) else ""
            text = clean_text(
                text.strip("{}") if name in _BIBTEX_RAW_FIELDS else latex_to_text(text)
            )
            if text:
                return text, name, (f.start_line or 0) + 1
        return "", "", line

    def put(target: str, *names: str, convert: Callable[[str], Any] = lambda v: v) -> None:
        text, name, where = value(*names)
        if text:
            b.set(target, convert(text), name, where)

    entry_type = entry.entry_type.lower()
    if "author" in fields:
        authors, more = _bibtex_names(fields["author"].value)
        b.set("authors", authors, "author", (fields["author"].start_line or 0) + 1)
        if more:
            b.set("more_authors", True, "author", (fields["author"].start_line or 0) + 1)
    put("year", "year", "date", convert=year_from)
    put("volume", "volume")
    put("pages", "pages", convert=normalise_pages)
    doi, _, doi_line = value("doi")
    doi, short_doi_link = doi_and_link(doi)
    b.set("doi", doi, "doi", doi_line)
    put("url", "url", convert=url_from)
    b.set("url", short_doi_link, "doi", doi_line)
    b.set("status", status_from([value("pubstate")[0]]), "pubstate", value("pubstate")[2])
    howpublished = fields.get("howpublished")
    if "url" not in b.fields and howpublished is not None and isinstance(howpublished.value, str):
        match = re.search(r"\\url\{([^}]+)\}", howpublished.value)
        if match:
            b.set("url", match.group(1), "howpublished", howpublished.start_line + 1)
    put("place", "address", "location")
    put("edition", "edition")
    put("accessed_on", "urldate", convert=date_from)
    put("pmid", "pmid")
    put("pmcid", "pmcid")
    eprint, _, eprint_line = value("eprint")
    eprint_type = value("eprinttype", "archiveprefix")[0].lower()
    if eprint and eprint_type == "pubmed" and "pmid" not in b.fields:
        b.set("pmid", eprint, "eprint", eprint_line)
    elif eprint and eprint_type in {"pmc", "pubmedcentral"} and "pmcid" not in b.fields:
        b.set("pmcid", eprint, "eprint", eprint_line)
    notes = note_values([value("note")[0], value("annote")[0]])
    for key in ("pmid", "pmcid"):
        if key in notes and key not in b.fields:
            b.set(key, notes[key], "note", value("note")[2])

    journal, journal_key, journal_line = value(
        "shortjournal", "journalabbrev", "journal", "journaltitle"
    )
    subtype = [value("type")[0], value("entrysubtype")[0]]  # never keywords: those are subjects
    if entry_type in BIBTEX_TYPES:
        kind = kind_from_types(subtype, BIBTEX_TYPES[entry_type])
    elif entry_type in _BIBTEX_OPEN_TYPES:
        kind = kind_from_types(
            subtype,
            Kind.JOURNAL_ARTICLE if journal else Kind.WEB_PAGE if "url" in b.fields else Kind.BOOK,
        )
    else:
        # biblatex's artwork, audio, movie, set, custom[a-f]… and a style's own types.
        kind = kind_from_types(subtype, Kind.JOURNAL_ARTICLE if journal else Kind.GENERIC)
    b.fields["kind"] = kind
    b.sources["kind"] = (f"@{entry.entry_type}", line)
    if kind == Kind.WEB_PAGE:
        put("publisher", "publisher", "institution")
    else:
        put("publisher", "publisher", "institution", "school", "organization")
    put("title", "title", convert=clean_title)
    if "editor" in fields:  # a chapter's book's editors, or an edited book's
        editors, _ = _bibtex_names(fields["editor"].value)
        b.set("editors", editors, "editor", (fields["editor"].start_line or 0) + 1)
    if kind in _CONTAINED:
        put("container_title", "booktitle", "maintitle")
    elif kind == Kind.WEB_PAGE:
        put("container_title", "organization", "journal", "journaltitle")
    elif kind not in _BOOKISH:
        b.set("journal", journal, journal_key, journal_line)
        put("issue", "number", "issue")
    return b.record(
        number=number,
        line=line,
        end_line=line + (entry.raw or "").count("\n"),
        label=entry.key,
        superseded_by=notes.get("superseded-by", ""),
        problems=problems,
    )
