"""Write library references as RIS or CSL-JSON, in shapes `references.parsers` reads back.

Only what the model holds is written, so an export imported into an empty library gives the
same references. Conventions beyond each format's fields, read back by the importers:
- more authors than listed is the model's flag, never an author named "et al." (a reader
  would take it for a person or a group);
- a corporate author is written with a trailing comma in RIS (EndNote's convention, which keeps
  "WHO, Regional Office for Europe" one corporate name), as `literal` in CSL-JSON;
- a name suffix follows the given names, "King, M.L., Jr" (RIS), `suffix` (CSL-JSON);
- a guideline or systematic review: RIS `M3` / CSL `genre` "Practice Guideline" or
  "Systematic Review";
- a superseded reference: a note line `superseded-by: <citekey>`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import rispy

from references.models import Reference

Kind = Reference.Kind

RIS_CONTENT_TYPE = "application/x-research-info-systems; charset=utf-8"
CSLJSON_CONTENT_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"

GENRES = {Kind.GUIDELINE: "Practice Guideline", Kind.SYSTEMATIC_REVIEW: "Systematic Review"}


class _RisWriter(rispy.RisWriter):
    """rispy's writer keyed by RIS tags, without its "1." line before each record.

    rispy looks labels up in lower case, so a record is {"ty": "JOUR", "au": [...], ...}.
    """

    DEFAULT_MAPPING = {tag: tag.lower() for tag in rispy.TAG_KEY_MAPPING}
    DEFAULT_LIST_TAGS = ["AU", "A2", "KW", "N1", "M3"]
    DEFAULT_DELIMITER_MAPPING: dict[str, str] = {}
    REFERENCE_TYPE_KEY = "ty"

    def set_header(self, count: int) -> str:
        return ""


def _ris_name(author: dict[str, Any]) -> str:
    if author.get("literal"):
        return f"{_one_line(author['literal'])},"
    family = _one_line(author.get("family") or "")
    initials = "".join(f"{letter}." for letter in str(author.get("initials") or ""))
    suffix = _one_line(author.get("suffix") or "")
    if suffix:
        return f"{family}, {initials}, {suffix}"
    return f"{family}, {initials}" if initials else family


# The kinds beyond the first six, in each format's own type (RIS 2011 types, CSL 1.0.2 types).
_RIS_TYPES = {
    Kind.BOOK: "BOOK",
    Kind.CHAPTER: "CHAP",
    Kind.WEB_PAGE: "ELEC",
    Kind.THESIS: "THES",
    Kind.REPORT: "RPRT",
    Kind.CONFERENCE_PAPER: "CPAPER",
    Kind.DATASET: "DATA",
    Kind.SOFTWARE: "COMP",
    Kind.NEWS_ARTICLE: "NEWS",
    Kind.PATENT: "PAT",
    Kind.LEGAL: "CASE",
    Kind.PERSONAL_COMMUNICATION: "PCOMM",
    Kind.GENERIC: "GEN",
}
_CSL_TYPES = {
    Kind.BOOK: "book",
    Kind.CHAPTER: "chapter",
    Kind.WEB_PAGE: "webpage",
    Kind.THESIS: "thesis",
    Kind.REPORT: "report",
    Kind.CONFERENCE_PAPER: "paper-conference",
    Kind.DATASET: "dataset",
    Kind.SOFTWARE: "software",
    Kind.NEWS_ARTICLE: "article-newspaper",
    Kind.PATENT: "patent",
    Kind.LEGAL: "legal_case",
    Kind.PERSONAL_COMMUNICATION: "personal_communication",
    Kind.GENERIC: "document",
}


def _ris_type(ref: Reference) -> str:
    if ref.kind in _RIS_TYPES:
        return _RIS_TYPES[ref.kind]
    if ref.kind == Kind.JOURNAL_ARTICLE or ref.journal:
        return "JOUR"
    return "RPRT"  # a guideline or review issued by a body, not in a journal


def _pages(pages: str) -> tuple[str, str]:
    start, dash, end = pages.partition("-")
    if dash and "," not in pages and start.strip() and end.strip():
        return start.strip(), end.strip()
    return pages, ""


def reference_as_ris(ref: Reference) -> dict[str, Any]:
    """One reference as a RIS tag -> value dict (the writer lower-cases the tags)."""
    record: dict[str, Any] = {"TY": _ris_type(ref), "ID": ref.citekey}
    authors = [_ris_name(a) for a in ref.authors or () if isinstance(a, dict)]
    if authors:
        record["AU"] = authors
    record["TI"] = ref.title
    if ref.kind in GENRES:
        record["M3"] = [GENRES[ref.kind]]
    if ref.journal:
        record["JO"] = ref.journal
        record["J2"] = ref.journal
    if ref.container_title:
        record["T2"] = ref.container_title
    editors = [_ris_name(e) for e in ref.editors or () if isinstance(e, dict)]
    if editors:
        record["A2"] = editors
    if ref.year:
        record["PY"] = str(ref.year)
    for tag, value in (("VL", ref.volume), ("IS", ref.issue)):
        if value:
            record[tag] = value
    if ref.pages:
        start, end = _pages(ref.pages)
        record["SP"] = start
        if end:
            record["EP"] = end
    for tag, value in (
        ("ET", ref.edition),
        ("PB", ref.publisher),
        ("CY", ref.place),
        ("DO", ref.doi),
        ("UR", ref.url),
        ("AN", ref.pmid),
        ("C2", ref.pmcid),
    ):
        if value:
            record[tag] = value
    if ref.accessed_on:
        record["Y2"] = ref.accessed_on.strftime("%Y/%m/%d")
    if ref.pmid:
        record["DB"] = "PubMed"
    if ref.superseded_by_id:
        record["N1"] = [f"superseded-by: {ref.superseded_by.citekey}"]
    return record


def _one_line(value: Any) -> Any:
    """A RIS value on one line: every whitespace run (line breaks of any kind) one space.

    RIS is line-based; a line break inside a value (`str.split` knows \n, \r, U+2028, NEL, VT…)
    would start a new tag, or a whole new record, in the file readers download.
    """
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_one_line(item) for item in value]
    return value


def references_to_ris(refs: Iterable[Reference]) -> str:
    """The references as one RIS file (UTF-8 text, one TY … ER record each)."""
    records = [
        {tag.lower(): _one_line(value) for tag, value in reference_as_ris(ref).items()}
        for ref in refs
    ]
    return _RisWriter().formats(records)


def _csl_name(author: dict[str, Any]) -> dict[str, str]:
    if author.get("literal"):
        return {"literal": str(author["literal"])}
    name = {"family": str(author["family"])}
    initials = str(author.get("initials") or "")
    if initials:
        name["given"] = " ".join(f"{letter}." for letter in initials)
    if author.get("suffix"):
        name["suffix"] = str(author["suffix"])
    return name


def _csl_type(ref: Reference) -> str:
    if ref.kind in _CSL_TYPES:
        return _CSL_TYPES[ref.kind]
    if ref.kind == Kind.JOURNAL_ARTICLE or ref.journal:
        return "article-journal"
    return "report"


def _date_parts(day: datetime.date) -> dict[str, Any]:
    return {"date-parts": [[day.year, day.month, day.day]]}


def reference_as_csl(ref: Reference) -> dict[str, Any]:
    """One reference as a CSL-JSON item."""
    item: dict[str, Any] = {"id": ref.citekey, "type": _csl_type(ref), "title": ref.title}
    authors = [_csl_name(a) for a in ref.authors or () if isinstance(a, dict)]
    if authors:
        item["author"] = authors
    editors = [_csl_name(e) for e in ref.editors or () if isinstance(e, dict)]
    if editors:
        item["editor"] = editors
    if ref.kind in GENRES:
        item["genre"] = GENRES[ref.kind]
    if ref.journal:
        item["container-title"] = ref.journal
        item["container-title-short"] = ref.journal
    if ref.container_title and ref.container_title != ref.journal:
        # A chapter's book, a page's site; beside a journal it is kept too (a report series).
        item.setdefault("container-title", ref.container_title)
    if ref.year:
        item["issued"] = {"date-parts": [[ref.year]]}
    for key, value in (
        ("volume", ref.volume),
        ("issue", ref.issue),
        ("page", ref.pages),
        ("edition", ref.edition),
        ("publisher", ref.publisher),
        ("publisher-place", ref.place),
        ("URL", ref.url),
        ("DOI", ref.doi),
        ("PMID", ref.pmid),
        ("PMCID", ref.pmcid),
    ):
        if value:
            item[key] = value
    if ref.accessed_on:
        item["accessed"] = _date_parts(ref.accessed_on)
    if ref.status:
        item["status"] = ref.get_status_display().lower()
    if ref.superseded_by_id:
        item["note"] = f"superseded-by: {ref.superseded_by.citekey}"
    return item


def references_to_csljson(refs: Iterable[Reference]) -> list[dict[str, Any]]:
    """The references as CSL-JSON items (serialise with json.dumps)."""
    return [reference_as_csl(ref) for ref in refs]
