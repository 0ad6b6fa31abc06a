"""Read reference files (RIS, BibTeX, MEDLINE/.nbib, CSL-JSON) into plain reference records.

Parsers only read. Each returns `ParsedRecord`s: values shaped like `Reference` fields, the
record's position and lines in the file, and the tag each value came from, so an error can name
the file, the record and the line. Nothing here touches the database: matching against the
library, citekeys and validation are `references.importing`'s job.

A file whose structure is broken (a record cut off, bytes that are not UTF-8, another format)
raises `ReferenceFileError`; a record that parses but says something odd (an unknown type)
carries its problems, so the editor sees every problem of a file at once.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import bibtexparser
import rispy
from bibtexparser import middlewares as bib
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from django.db import models
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

from references.models import Reference

Kind = Reference.Kind


class Format(models.TextChoices):
    RIS = "ris", "RIS"
    BIBTEX = "bibtex", "BibTeX"
    MEDLINE = "medline", "MEDLINE / PubMed (.nbib)"
    CSLJSON = "csljson", "CSL-JSON"


EXTENSIONS: dict[str, Format] = {
    ".ris": Format.RIS,
    ".bib": Format.BIBTEX,
    ".bibtex": Format.BIBTEX,
    ".nbib": Format.MEDLINE,
    ".medline": Format.MEDLINE,
    ".txt": Format.MEDLINE,  # PubMed's "Save as PubMed format" writes pubmed-….txt
    ".json": Format.CSLJSON,
}


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file, located as precisely as it can be."""

    message: str
    record: int | None = None
    line: int | None = None

    def located(self, filename: str) -> str:
        """`refs.ris, record 3 (line 17): message`."""
        where = [filename] if filename else []
        if self.record is not None and self.line is not None:
            where.append(f"record {self.record} (line {self.line})")
        elif self.record is not None:
            where.append(f"record {self.record}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ReferenceFileError(Exception):
    """The file cannot be read as references of its format; nothing of it can be trusted."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(p.located("") for p in problems))
        self.problems = problems


@dataclass
class ParsedRecord:
    """One reference read from a file: Reference field values and where each came from."""

    number: int  # 1-based position among the file's records
    line: int  # first line of the record
    end_line: int
    fields: dict[str, Any]
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (tag, line)
    label: str = ""  # the file's own key: RIS ID, BibTeX key, CSL id
    superseded_by: str = ""  # citekey of the reference that replaces this one
    problems: list[str] = field(default_factory=list)

    def line_of(self, name: str) -> int:
        return self.sources.get(name, ("", self.line))[1]

    def tag_of(self, name: str) -> str:
        return self.sources.get(name, ("", 0))[0]


# --- shared normalisation ------------------------------------------------------------------

_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_NAME_PARTS = re.compile(r"[\s.\-‐‑–]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*(?:-{1,3}|[–—‐‑])\s*([A-Za-z]*)(\d+)\s*$")
_NOTE_LINE = re.compile(r"^\s*(pmid|pmcid|superseded[- ]by)\s*:\s*(\S+)\s*$", re.IGNORECASE)
_DOI_LIKE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.\d{4,9}/\S+$", re.IGNORECASE)
ET_AL = frozenset({"et al", "et al.", "et. al.", "others"})


def clean_text(value: Any) -> str:
    """Whitespace collapsed to single spaces, stripped; None -> ''."""
    return " ".join(str(value or "").split())


def clean_title(value: Any) -> str:
    """A title without surrounding whitespace and without the single closing period MEDLINE adds."""
    title = clean_text(value)
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1].rstrip()
    return title


def initials_from_given(given: str) -> str:
    """Initials of given names: "Sasigarn A." -> SA, "Brian L" -> BL, "Jean-Marc" -> JM.

    Given names already written as initials ("SA", "S. A.", "J.-M.") keep their letters.
    """
    given = clean_text(given)
    if _INITIALS.match(given):
        return given
    parts = [p for p in _NAME_PARTS.split(given) if p]
    letters = [p[0] for p in parts if p[0].isalpha() and (p[0].isupper() or len(parts) == 1)]
    return "".join(letters).upper()


def person(family: str, given: str = "") -> dict[str, str]:
    family = clean_text(family)
    initials = initials_from_given(given)
    return {"family": family, "initials": initials} if initials else {"family": family}


def name_from_text(text: str) -> dict[str, str] | None:
    """An author written as text: "Family, Given", "Family AB" (NLM) or a corporate name.

    Returns None for "et al." (the caller records that more authors follow).
    """
    text = clean_text(text).strip(",;")
    if not text:
        return None
    if text.lower() in ET_AL:
        return None
    if "," in text:
        family, _, rest = text.partition(",")
        given = rest.split(",")[0]  # "Smith, John, Jr" -> the suffix is not part of the initials
        return person(family, given) if clean_text(family) else {"literal": text}
    family, _, last = text.rpartition(" ")
    if family and _INITIALS.match(last):
        return {"family": family, "initials": last}
    return {"literal": text}


def authors_from_names(names: Iterable[str]) -> tuple[list[dict[str, str]], bool]:
    """Authors from text names, and whether an "et al." said more authors follow."""
    authors, more = [], False
    for text in names:
        if clean_text(text).lower() in ET_AL:
            more = True
            continue
        name = name_from_text(text)
        if name:
            authors.append(name)
    return authors, more


def year_from(text: Any) -> int | str | None:
    """The year of a date written any common way ("2018 Oct 1", "2018/10/01/", "2018-10").

    Text holding no year is returned as it is, so validation names it; no text is None.
    """
    if isinstance(text, int):
        return text
    text = clean_text(text)
    if not text:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else text


def date_from(text: str) -> datetime.date | str | None:
    """A full date from "2024/03/05", "2024-03-05" or "2024 Mar 5"; otherwise the text itself."""
    text = clean_text(text).strip("/")
    if not text:
        return None
    for pattern in (
        "%Y/%m/%d",
        "%Y-%m-%d",
        "%Y %b %d",
        "%d %b %Y",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
    ):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return text


def normalise_pages(start: str, end: str = "") -> str:
    """`SP`/`EP` or a range as written -> "3147-3161".

    "--" and dashes become "-"; an end NLM abbreviated ("3147-61") is written out in full, since
    the formatter abbreviates ranges itself and only full ranges compare equal.
    """
    start, end = clean_text(start), clean_text(end)
    text = f"{start}-{end}" if start and end and start != end else start or end
    chunks = []
    for chunk in text.split(","):
        match = _RANGE.match(chunk)
        if not match:
            chunks.append(clean_text(chunk))
            continue
        prefix1, first, prefix2, last = match.groups()
        if not prefix1 and not prefix2 and len(last) < len(first):
            last = first[: len(first) - len(last)] + last
        chunks.append(f"{prefix1}{first}-{prefix2}{last}")
    return ", ".join(c for c in chunks if c)


def kind_from_hints(hints: Iterable[str], default: str) -> str:
    """Guideline or systematic review when a type or keyword says so, else `default`."""
    words = " ".join(clean_text(h).lower() for h in hints)
    if "guideline" in words:
        return Kind.GUIDELINE
    if "systematic review" in words:
        return Kind.SYSTEMATIC_REVIEW
    return default


def note_values(notes: Iterable[str]) -> dict[str, str]:
    """`PMID: 123`, `PMCID: PMC4`, `superseded-by: key` lines of free-text notes."""
    found: dict[str, str] = {}
    for note in notes:
        for line in str(note or "").splitlines():
            match = _NOTE_LINE.match(line)
            if match:
                key = match.group(1).lower().replace(" ", "-")
                found.setdefault(key, match.group(2))
    return found


# Letters that Unicode does not decompose into an ASCII letter and a mark.
_TRANSLITERATE = str.maketrans(
    {
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
    }
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII words joined by dashes: "Villa-Suárez" -> villa-suarez, "Ø" -> o."""
    text = (
        unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def title_key(title: str) -> str:
    """A title reduced for comparison: no case, accents, punctuation or extra spaces."""
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def sniff_format(text: str) -> Format | None:
    """The format the text looks like, from its first non-blank line; None if none fits."""
    for line in text.splitlines():
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            continue
        if re.match(r"^TY  -", stripped):
            return Format.RIS
        if re.match(r"^PMID- ", stripped):
            return Format.MEDLINE
        if re.match(r"^@\w+\s*[{(]", stripped):
            return Format.BIBTEX
        if stripped[0] in "[{":
            return Format.CSLJSON
        return None
    return None


def _looks_like(text: str, expected: Format) -> str:
    found = sniff_format(text)
    if found and found != expected:
        return f" It looks like {found.label}: choose that format (--format {found.value})."
    return ""


def _shown(line: str, width: int = 40) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"


class _Builder:
    """Collects one record's fields with the tag and line each came from."""

    def __init__(self, line: int) -> None:
        self.fields: dict[str, Any] = {"kind": Kind.JOURNAL_ARTICLE, "authors": []}
        self.sources: dict[str, tuple[str, int]] = {}
        self.line = line

    def set(self, name: str, value: Any, tag: str, line: int | None = None) -> None:
        if value in (None, "", []):
            return
        if isinstance(value, str):
            value = clean_text(value)
            if not value:
                return
        self.fields[name] = value
        self.sources[name] = (tag, line or self.line)

    def record(self, *, number: int, line: int, end_line: int, **extra: Any) -> ParsedRecord:
        return ParsedRecord(
            number=number,
            line=line,
            end_line=end_line,
            fields=self.fields,
            sources=self.sources,
            **extra,
        )


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --- RIS -----------------------------------------------------------------------------------

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
    "MGZN": Kind.JOURNAL_ARTICLE,
    "BOOK": Kind.BOOK,
    "EBOOK": Kind.BOOK,
    "EDBOOK": Kind.BOOK,
    "CHAP": Kind.CHAPTER,
    "ECHAP": Kind.CHAPTER,
    "ELEC": Kind.WEB_PAGE,
    "WEB": Kind.WEB_PAGE,
    "BLOG": Kind.WEB_PAGE,
    "ICOMM": Kind.WEB_PAGE,
}
# Types whose kind depends on what the record holds (a journal, a URL) and on M3/KW hints.
_RIS_OPEN_TYPES = frozenset({"GEN", "RPRT", "GOVDOC", "STAND", "CONF", "CPAPER", "UNPB", "SER"})
_NOT_PUBMED = re.compile(r"embase|scopus|web of science|wos|cinahl|psycinfo", re.IGNORECASE)


def parse_ris(text: str) -> list[ParsedRecord]:
    """RIS records (TY … ER). Refuses a record without its ER, and text outside records.

    Records are found here and each is handed to rispy for its tags: rispy alone reports no
    line numbers, and silently drops a last record that has no ER (a truncated file).
    """
    lines = _split_lines(text)
    chunks: list[tuple[int, int, list[str], dict[str, int]]] = []
    start = 0
    body: list[str] = []
    first_lines: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        match = _RIS_TAG.match(line.lstrip("\ufeff"))
        tag = match.group(1) if match else None
        if not start:
            if not line.strip() or _RIS_HEADER.match(line.strip()):
                continue
            if tag != "TY":
                raise ReferenceFileError(
                    [
                        ImportProblem(
                            f"a RIS record starts with “TY  - ”, found “{_shown(line)}”."
                            + _looks_like(text, Format.RIS),
                            record=len(chunks) + 1,
                            line=number,
                        )
                    ]
                )
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
    if not chunks:
        raise ReferenceFileError([ImportProblem("the file holds no RIS record.", line=1)])
    return [_ris_record(i, *chunk) for i, chunk in enumerate(chunks, 1)]


def _ris_record(
    number: int, start: int, end: int, body: list[str], lines: dict[str, int]
) -> ParsedRecord:
    parsed = _RIS_PARSER.parse_lines(iter(body))
    tags: dict[str, Any] = parsed[0] if parsed else {}
    b = _Builder(start)
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
    authors, more = authors_from_names(names)
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
    put("doi", "DO", "DI")
    work_types = [clean_text(v) for v in tags.get("M3", [])]
    if "doi" not in b.fields:
        # EndNote long wrote the DOI into M3 ("type of work").
        doi_in_m3 = next((v for v in work_types if _DOI_LIKE.match(v)), "")
        b.set("doi", doi_in_m3, "M3", lines.get("M3"))
    put("url", "UR", "L2")
    put("publisher", "PB")
    put("place", "CY")
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
    hints = [*work_types, *tags.get("KW", [])]
    if ris_type in RIS_TYPES:
        kind = RIS_TYPES[ris_type]
        if kind in {Kind.JOURNAL_ARTICLE, Kind.BOOK}:
            kind = kind_from_hints(hints, kind)
    elif ris_type in _RIS_OPEN_TYPES or ris_type in rispy.TYPE_OF_REFERENCE_MAPPING:
        kind = kind_from_hints(
            hints,
            (
                Kind.JOURNAL_ARTICLE
                if journal or (secondary and ris_type == "GEN" and "VL" in tags)
                else Kind.WEB_PAGE
                if "url" in b.fields and ris_type not in {"RPRT", "GOVDOC", "STAND"}
                else Kind.BOOK
            ),
        )
    else:
        kind = Kind.JOURNAL_ARTICLE
        problems.append(f"“TY  - {ris_type}” is not a RIS reference type.")
    b.fields["kind"] = kind
    b.sources["kind"] = ("TY", start)

    if kind == Kind.BOOK and not title:
        title, title_tag = secondary, "T2"  # some tools put a whole book's title in BT/T2
        secondary = ""
    b.set("title", clean_title(title), title_tag, lines.get(title_tag))
    if kind == Kind.CHAPTER:
        b.set("container_title", secondary, "T2", lines.get("T2") or lines.get("BT"))
        editors, _ = authors_from_names([*tags.get("A2", []), *tags.get("ED", [])])
        b.set("editors", editors, "A2", lines.get("A2") or lines.get("ED"))
    elif kind == Kind.WEB_PAGE:
        b.set("container_title", secondary, "T2", lines.get("T2"))
    elif kind != Kind.BOOK:
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


# --- BibTeX --------------------------------------------------------------------------------

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
        first_line = next((i for i, line in enumerate(_split_lines(text), 1) if line.strip()), 1)
        raise ReferenceFileError(
            [
                ImportProblem(
                    "the file holds no BibTeX entry (“@article{key, …}”)."
                    + _looks_like(text, Format.BIBTEX),
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
    b = _Builder(line)
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


# --- MEDLINE / .nbib -----------------------------------------------------------------------

_MEDLINE_TAG = re.compile(r"^([A-Z0-9]{2,4}) {0,2}- (.*)$")
_MEDLINE_CONTINUATION = "      "
_AID = re.compile(r"^(.+?)\s*\[(doi|pii|pmc)\]$", re.IGNORECASE)


def parse_medline(text: str) -> list[ParsedRecord]:
    """MEDLINE records as PubMed exports them: `TAG - value` lines, blank lines between records.

    A small reader of our own rather than the nbib package, which gives no line numbers.
    """
    records: list[list[tuple[str, str, int]]] = []
    current: list[tuple[str, str, int]] = []
    for number, line in enumerate(_split_lines(text), 1):
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
                        f"“{_shown(line)}” is neither a MEDLINE field (“TAG - value”) nor the "
                        "continuation of one (six spaces)."
                        + (_looks_like(text, Format.MEDLINE) if not records else ""),
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
    b = _Builder(start)
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
        kind = kind_from_hints(types, Kind.JOURNAL_ARTICLE)
    b.fields["kind"] = kind
    b.sources["kind"] = ("PT", (values.get("PT") or [("", start)])[0][1])
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


# --- CSL-JSON ------------------------------------------------------------------------------

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
                    f"{message}{detail}."
                    + (_looks_like(text, Format.CSLJSON) if not items else ""),
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
    b = _Builder(start)
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


# --- entry point ---------------------------------------------------------------------------

PARSERS: dict[Format, Callable[[str], list[ParsedRecord]]] = {
    Format.RIS: parse_ris,
    Format.BIBTEX: parse_bibtex,
    Format.MEDLINE: parse_medline,
    Format.CSLJSON: parse_csljson,
}


def format_for_filename(filename: str) -> Format:
    """The format its extension names; ReferenceFileError for an extension no format has."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    known = ", ".join(sorted(EXTENSIONS))
    raise ReferenceFileError(
        [
            ImportProblem(
                f"cannot tell the format from the name “{PurePath(filename or '').name}”: use one of "
                f"{known}, or choose the format ({', '.join(f.value for f in Format)})."
            )
        ]
    )


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped). Anything else is refused by name."""
    if not data.strip():
        raise ReferenceFileError([ImportProblem("the file is empty.")])
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        head.count(b"\x00") * 3 > len(head)
        and max(head[0::2].count(0), head[1::2].count(0)) * 4 > len(head)
    ):
        raise ReferenceFileError(
            [
                ImportProblem(
                    "the file is UTF-16, not UTF-8: save or export it as UTF-8 and try again.",
                    line=1,
                )
            ]
        )
    if b"\x00" in data:
        raise ReferenceFileError(
            [ImportProblem("this is not a text file (it holds binary data).", line=1)]
        )
    return data.decode("utf-8-sig")


def parse_references(data: bytes, *, fmt: Format) -> list[ParsedRecord]:
    """Every record of the file, or ReferenceFileError naming what is wrong and where."""
    try:
        text = decode(data)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        record = _record_at(data.decode("utf-8-sig", "replace"), fmt=fmt, line=line)
        raise ReferenceFileError(
            [
                ImportProblem(
                    f"byte 0x{data[error.start]:02x} is not UTF-8: the file is in another encoding "
                    "(Latin-1 or Windows-1252, perhaps). Save or export it as UTF-8 and try again.",
                    record=record,
                    line=line,
                )
            ]
        ) from None
    return _parse(text, fmt)


def _parse(text: str, fmt: Format) -> list[ParsedRecord]:
    try:
        return PARSERS[fmt](text)
    except RecursionError:
        # json, bibtexparser and pylatexenc recurse into nested brackets and braces.
        raise ReferenceFileError(
            [
                ImportProblem(
                    "brackets or braces are nested too deeply to read: this is not a reference file."
                )
            ]
        ) from None


def _record_at(text: str, *, fmt: Format, line: int) -> int | None:
    """The number of the record holding `line`, read from a best-effort decoding of the file."""
    try:
        records = _parse(text, fmt)
    except ReferenceFileError:
        return None
    for record in records:
        if record.line <= line <= record.end_line:
            return record.number
    return None
