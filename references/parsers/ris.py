"""RIS (TY … ER) records, found and located here, their tags read by rispy."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import rispy

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
    authors_from_names,
    clean_text,
    clean_title,
    date_from,
    doi_and_link,
    kind_from_types,
    normalise_pages,
    note_values,
    status_from,
    url_from,
    year_from,
)

Kind = Reference.Kind

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_RIS_HEADER = re.compile(r"^\d+\.$")  # rispy's writer numbers records with a "1." line

# rispy keyed by the tags themselves (no names to translate back), and no splitting of URLs at
# ";" (a URL may contain one).
_RIS_TAGS = {tag: tag for tag in rispy.TAG_KEY_MAPPING} | {"ED": "ED", "BT": "BT", "CT": "CT"}
_RIS_LIST_TAGS = ["A1", "A2", "A3", "A4", "AU", "ED", "KW", "N1", "UR", "C1", "M3"]
_RIS_PARSER = rispy.RisParser(
    mapping=_RIS_TAGS, list_tags=_RIS_LIST_TAGS, delimiter_tags_mapping={}, enforce_list_tags=True
)

RIS_TYPES: dict[str, str] = {
    "JOUR": Kind.JOURNAL_ARTICLE,
    "EJOUR": Kind.JOURNAL_ARTICLE,
    "JFULL": Kind.JOURNAL_ARTICLE,
    "INPR": Kind.JOURNAL_ARTICLE,
    "ABST": Kind.JOURNAL_ARTICLE,
    "MGZN": Kind.NEWS_ARTICLE,
    "NEWS": Kind.NEWS_ARTICLE,
    "BOOK": Kind.BOOK,
    "EBOOK": Kind.BOOK,
    "EDBOOK": Kind.BOOK,
    "CLSWK": Kind.BOOK,
    "ENCYC": Kind.BOOK,
    "DICT": Kind.BOOK,
    "PAMP": Kind.BOOK,
    "CHAP": Kind.CHAPTER,
    "ECHAP": Kind.CHAPTER,
    "ELEC": Kind.WEB_PAGE,
    "WEB": Kind.WEB_PAGE,
    "BLOG": Kind.WEB_PAGE,
    "ICOMM": Kind.WEB_PAGE,
    "THES": Kind.THESIS,
    "RPRT": Kind.REPORT,
    "GOVDOC": Kind.REPORT,
    "STAND": Kind.REPORT,
    "CONF": Kind.CONFERENCE_PAPER,
    "CPAPER": Kind.CONFERENCE_PAPER,
    "DATA": Kind.DATASET,
    "AGGR": Kind.DATASET,
    "DBASE": Kind.DATASET,
    "COMP": Kind.SOFTWARE,
    "PAT": Kind.PATENT,
    "CASE": Kind.LEGAL,
    "STAT": Kind.LEGAL,
    "BILL": Kind.LEGAL,
    "HEAR": Kind.LEGAL,
    "LEGAL": Kind.LEGAL,
    "PCOMM": Kind.PERSONAL_COMMUNICATION,
}
# Types whose kind depends on what the record holds: a journal or a volume makes an article.
_ARTICLE_TYPES = frozenset({"JOUR", "EJOUR", "JFULL", "INPR", "ABST", "MGZN", "NEWS"})
_BOOKISH = frozenset({Kind.BOOK, Kind.THESIS, Kind.REPORT})
_RIS_OPEN_TYPES = frozenset({"GEN", "UNPB", "SER", "UNBILL", "MANSCPT", "CTLG", "STD"})
# A DOI, bare or as a doi.org link: only such a value of M3 is taken for one.
_DOI_LIKE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.\d{4,9}/\S+$", re.IGNORECASE)
_NOT_PUBMED = re.compile(r"embase|scopus|web of science|wos|cinahl|psycinfo", re.IGNORECASE)


def parse_ris(text: str) -> list[ParsedRecord]:
    """RIS records (TY … ER). Refuses a record without its ER, and text outside records.

    Records are found here and each is handed to rispy for its tags: rispy alone reports no
    line numbers, and silently drops a last record that has no ER (a truncated file).
    """
    lines = split_lines(text)
    chunks: list[tuple[int, int, list[str], dict[str, int]]] = []
    start = 0
    body: list[str] = []
    first_lines: dict[str, int] = {}
    stray = 0  # first line of text that is not RIS, outside any record
    for number, line in enumerate(lines, 1):
        match = _RIS_TAG.match(line.lstrip("\ufeff"))
        tag = match.group(1) if match else None
        if not start:
            if not line.strip() or _RIS_HEADER.match(line.strip()):
                continue
            if tag is None:
                # EBSCO, Ovid and PubMed write a header before the first record; Ovid writes
                # links between records. Text outside records is kept out of them, not refused.
                stray = stray or number
                continue
            if tag != "TY":
                raise _not_a_record(text, line, record=len(chunks) + 1, line_number=number)
            start, body, first_lines = number, [line.lstrip("\ufeff")], {"TY": number}
            continue
        if tag == "TY":
            raise ReferenceFileError(
                [
                    ImportProblem(
                        f"the record has no end (“ER  - ”) before the next record starts at line {number}.",
                        record=len(chunks) + 1,
                        line=start,
                    )
                ]
            )
        body.append(line)
        if tag == "ER":
            chunks.append((start, number, body, first_lines))
            start = 0
        elif tag:
            first_lines.setdefault(tag, number)
    if start:
        raise ReferenceFileError(
            [
                ImportProblem(
                    "the file ends inside this record (no “ER  - ” line): it looks truncated.",
                    record=len(chunks) + 1,
                    line=start,
                )
            ]
        )
    if not chunks and stray:
        raise _not_a_record(text, lines[stray - 1], record=1, line_number=stray)
    if not chunks:
        raise ReferenceFileError([ImportProblem("the file holds no RIS record.", line=1)])
    return [_ris_record(i, *chunk) for i, chunk in enumerate(chunks, 1)]


def _ris_names(names: list[str]) -> tuple[list[dict[str, str]], bool]:
    """Names of AU/A2 lines; one that ends in a comma is an organisation, as EndNote writes it.

    "World Health Organization, Regional Office for Europe," is one corporate author, not the
    person "World Health Organization, R.O.E." that the general name reading would make of it.
    """
    authors: list[dict[str, str]] = []
    more = False
    for text in names:
        stripped = clean_text(text)
        if stripped.endswith(",") and stripped.rstrip(",").strip():
            authors.append({"literal": stripped.rstrip(",").strip()})
            continue
        found, et_al = authors_from_names([text])
        authors.extend(found)
        more = more or et_al
    return authors, more


def _not_a_record(text: str, line: str, *, record: int, line_number: int) -> ReferenceFileError:
    return ReferenceFileError(
        [
            ImportProblem(
                f"a RIS record starts with “TY  - ”, found “{shown(line)}”."
                + looks_like(text, Format.RIS),
                record=record,
                line=line_number,
            )
        ]
    )


def _ris_record(
    number: int, start: int, end: int, body: list[str], lines: dict[str, int]
) -> ParsedRecord:
    parsed = _RIS_PARSER.parse_lines(iter(body))
    tags: dict[str, Any] = parsed[0] if parsed else {}
    b = RecordBuilder(start)
    problems: list[str] = []

    def first(*names: str) -> tuple[str, str]:
        for name in names:
            value = tags.get(name)
            if isinstance(value, list):
                value = next((v for v in value if v and not v.isspace()), None)
            if value and not value.isspace():
                return clean_text(value), name
        return "", ""

    def put(name: str, *tag_names: str, convert: Callable[[str], Any] = lambda v: v) -> None:
        value, tag = first(*tag_names)
        if value:
            b.set(name, convert(value), tag, lines.get(tag))

    ris_type = clean_text(tags.get("TY")).upper()
    names = [*tags.get("AU", []), *tags.get("A1", [])]
    authors, more = _ris_names(names)
    b.set("authors", authors, "AU", lines.get("AU") or lines.get("A1"))
    if more:
        b.set("more_authors", True, "AU", lines.get("AU"))
    put("year", "PY", "Y1", "DA", convert=year_from)
    put("volume", "VL")
    put("issue", "IS", "CP")
    start_page, sp_tag = first("SP")
    end_page, _ = first("EP")
    if start_page or end_page:
        b.set(
            "pages",
            normalise_pages(start_page, end_page),
            sp_tag or "EP",
            lines.get(sp_tag or "EP"),
        )
    doi, doi_tag = first("DO", "DI")
    doi, short_doi_link = doi_and_link(doi)
    b.set("doi", doi, doi_tag, lines.get(doi_tag))
    work_types = [clean_text(v) for v in tags.get("M3", [])]
    if "doi" not in b.fields:
        # EndNote long wrote the DOI into M3 ("type of work").
        doi_in_m3 = next((v for v in work_types if _DOI_LIKE.match(v)), "")
        b.set("doi", doi_in_m3, "M3", lines.get("M3"))
    put("url", "UR", "L2", convert=url_from)
    b.set("url", short_doi_link, doi_tag, lines.get(doi_tag))
    put("publisher", "PB")
    put("place", "CY")
    edition, _ = first("ET")
    status = status_from([edition, *tags.get("N1", []), first("M2")[0], *tags.get("C1", [])])
    if not status and ris_type == "INPR":
        status = Reference.Status.FORTHCOMING
    b.set("status", status, "ET" if status_from([edition]) else "N1", lines.get("ET"))
    if ris_type not in _ARTICLE_TYPES:
        # EndNote writes a journal article's "Epub Date" in ET: an edition only elsewhere.
        put("edition", "ET")
    put("accessed_on", "Y2", convert=date_from)
    notes = note_values([*tags.get("N1", []), *tags.get("C1", []), clean_text(tags.get("M1"))])
    accession, _ = first("AN")
    database, _ = first("DB", "DP")
    if accession.isdigit() and not _NOT_PUBMED.search(database):
        b.set("pmid", accession, "AN", lines.get("AN"))
    elif "pmid" in notes:
        b.set("pmid", notes["pmid"], "N1", lines.get("N1") or lines.get("C1"))
    pmcid, _ = first("C2")
    if pmcid.upper().startswith("PMC"):
        b.set("pmcid", pmcid, "C2", lines.get("C2"))
    elif "pmcid" in notes:
        b.set("pmcid", notes["pmcid"], "N1", lines.get("N1") or lines.get("C1"))

    journal, journal_tag = first("JA", "J2", "JO", "JF")
    title, title_tag = first("TI", "T1", "CT")
    secondary, _ = first("T2", "BT")
    if ris_type in RIS_TYPES:
        kind = RIS_TYPES[ris_type]
        if kind in {Kind.JOURNAL_ARTICLE, Kind.BOOK, Kind.REPORT}:
            kind = kind_from_types(work_types, kind)  # M3 is the type of work; KW are subjects
    elif ris_type in _RIS_OPEN_TYPES or ris_type in rispy.TYPE_OF_REFERENCE_MAPPING:
        periodical = journal or (secondary and ("VL" in tags or "IS" in tags))
        periodical = periodical or ("doi" in b.fields and "VL" in tags)
        kind = kind_from_types(work_types, Kind.JOURNAL_ARTICLE if periodical else Kind.GENERIC)
    else:
        kind = Kind.JOURNAL_ARTICLE
        problems.append(f"“TY  - {ris_type}” is not a RIS reference type.")
    b.fields["kind"] = kind
    b.sources["kind"] = ("TY", start)

    if kind in _BOOKISH and not title:
        title, title_tag = secondary, "T2"  # some tools put a whole book's title in BT/T2
        secondary = ""
    b.set("title", clean_title(title), title_tag, lines.get(title_tag))
    if kind in {Kind.CHAPTER, Kind.CONFERENCE_PAPER, Kind.BOOK}:
        # Editors of a chapter's book, or of an edited book (EDBOOK writes them as A2 or ED).
        editors, _ = _ris_names([*tags.get("A2", []), *tags.get("ED", [])])
        b.set("editors", editors, "A2", lines.get("A2") or lines.get("ED"))
    if kind in {Kind.CHAPTER, Kind.CONFERENCE_PAPER}:
        b.set("container_title", secondary, "T2", lines.get("T2") or lines.get("BT"))
    elif kind == Kind.WEB_PAGE:
        b.set("container_title", secondary, "T2", lines.get("T2"))
    elif kind not in _BOOKISH:
        if not journal and secondary:
            journal, journal_tag = secondary, "T2"
        b.set("journal", journal, journal_tag, lines.get(journal_tag))
    label, _ = first("ID")
    return b.record(
        number=number,
        line=start,
        end_line=end,
        label=label,
        superseded_by=notes.get("superseded-by", ""),
        problems=problems,
    )
