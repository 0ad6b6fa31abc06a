"""BibTeX / BibLaTeX entries, read by bibtexparser, their LaTeX decoded by pylatexenc."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import bibtexparser
from bibtexparser import middlewares as bib
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

from references.models import Reference
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
    authors_from_names,
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

BIBTEX_TYPES: dict[str, str] = {
    "article": Kind.JOURNAL_ARTICLE,
    "book": Kind.BOOK,
    "booklet": Kind.BOOK,
    "mvbook": Kind.BOOK,
    "manual": Kind.BOOK,
    "report": Kind.BOOK,
    "techreport": Kind.BOOK,
    "thesis": Kind.BOOK,
    "phdthesis": Kind.BOOK,
    "mastersthesis": Kind.BOOK,
    "proceedings": Kind.BOOK,
    "incollection": Kind.CHAPTER,
    "inbook": Kind.CHAPTER,
    "inproceedings": Kind.CHAPTER,
    "conference": Kind.CHAPTER,
    "online": Kind.WEB_PAGE,
    "www": Kind.WEB_PAGE,
    "webpage": Kind.WEB_PAGE,
    "electronic": Kind.WEB_PAGE,
}
_BIBTEX_OPEN_TYPES = frozenset({"misc", "unpublished"})
# Identifiers and links keep their characters: LaTeX decoding would eat a "%" or "_" in them.
_BIBTEX_RAW_FIELDS = frozenset(
    {"doi", "url", "pmid", "pmcid", "eprint", "eprinttype", "urldate", "date", "year"}
)
_LATEX = LatexNodes2Text(math_mode="verbatim")


def latex_to_text(value: str) -> str:
    """LaTeX as plain text: {\\'a} -> á, braces dropped, \\& -> &."""
    try:
        return _LATEX.latex_to_text(value)
    except LatexWalkerError:
        return value


def parse_bibtex(text: str) -> list[ParsedRecord]:
    """BibTeX / BibLaTeX entries; @string macros resolved, LaTeX decoded, names split."""
    library = bibtexparser.parse_string(
        text,
        parse_stack=[
            bib.ResolveStringReferencesMiddleware(True),
            bib.RemoveEnclosingMiddleware(True),
            bib.SeparateCoAuthors(True),
            bib.SplitNameParts(True),
        ],
    )
    problems: list[ImportProblem] = []
    numbered: list[tuple[int, Entry]] = []
    for block in library.blocks:
        if not isinstance(block, Entry | ParsingFailedBlock):
            continue
        number = len(numbered) + len(problems) + 1
        line = (block.start_line or 0) + 1
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
    return [_bibtex_record(number, entry) for number, entry in numbered]


def _bibtex_names(value: Any) -> tuple[list[dict[str, str]], bool]:
    names = value if isinstance(value, list) else [value]
    authors, more = [], False
    for name in names:
        if isinstance(name, bib.NameParts):
            last = clean_text(latex_to_text(" ".join([*name.von, *name.last])))
            first = clean_text(latex_to_text(" ".join(name.first)))
            if not first and last.lower() in ET_AL:
                more = True
            elif not first:
                authors.append({"literal": last})  # "{World Health Organization}"
            else:
                authors.append(person(last, first))
        elif isinstance(name, str):
            parsed, extra = authors_from_names([latex_to_text(name)])
            authors += parsed
            more = more or extra
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
        b.set("authors", authors, "author", fields["author"].start_line + 1)
        if more:
            b.set("more_authors", True, "author", fields["author"].start_line + 1)
    put("year", "year", "date", convert=year_from)
    put("volume", "volume")
    put("pages", "pages", convert=normalise_pages)
    put("doi", "doi")
    put("url", "url")
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
    hints = [value("keywords")[0], value("type")[0], value("note")[0]]
    if entry_type in BIBTEX_TYPES:
        kind = BIBTEX_TYPES[entry_type]
        if kind in {Kind.JOURNAL_ARTICLE, Kind.BOOK}:
            kind = kind_from_hints(hints, kind)
    elif entry_type in _BIBTEX_OPEN_TYPES:
        kind = kind_from_hints(
            hints,
            Kind.JOURNAL_ARTICLE if journal else Kind.WEB_PAGE if "url" in b.fields else Kind.BOOK,
        )
    else:
        kind = Kind.JOURNAL_ARTICLE
        problems.append(f"“@{entry.entry_type}” is not a BibTeX entry type this library knows.")
    b.fields["kind"] = kind
    b.sources["kind"] = (f"@{entry.entry_type}", line)
    if kind == Kind.WEB_PAGE:
        put("publisher", "publisher", "institution")
    else:
        put("publisher", "publisher", "institution", "organization")
    put("title", "title", convert=clean_title)
    if kind == Kind.CHAPTER:
        put("container_title", "booktitle", "maintitle")
        if "editor" in fields:
            editors, _ = _bibtex_names(fields["editor"].value)
            b.set("editors", editors, "editor", fields["editor"].start_line + 1)
    elif kind == Kind.WEB_PAGE:
        put("container_title", "organization", "journal", "journaltitle")
    elif kind != Kind.BOOK:
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
