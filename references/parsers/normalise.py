"""Value normalisation shared by the parsers: names, years and dates, pages, kinds, notes, slugs.

Each format writes the same facts differently ("Smith, John" or "Smith J", "3147--61" or
SP/EP); reducing them here, once, is what lets records from any format compare equal.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from references.models import Reference

Kind = Reference.Kind

_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_NAME_PARTS = re.compile(r"[\s.\-‐‑–]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*(?:-{1,3}|[–—‐‑])\s*([A-Za-z]*)(\d+)\s*$")
_NOTE_LINE = re.compile(r"^\s*(pmid|pmcid|superseded[- ]by)\s*:\s*(\S+)\s*$", re.IGNORECASE)
ET_AL = frozenset({"et al", "et al.", "et. al.", "others"})
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr|ii|iii|iv|v|vi|2nd|3rd|\d+th)\.?$", re.IGNORECASE)
# After given names in the same part, "V", "IV" and "VI" are initials ("Thakker, Rajesh V.").
_SUFFIX_AFTER_GIVEN = re.compile(r"^(?:jr|sr|jnr|snr|ii|iii|2nd|3rd|\d+th)\.?$", re.IGNORECASE)
_DOI_RESOLVER = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_SHORT_DOI = re.compile(r"^10/[a-z0-9]+$", re.IGNORECASE)
_URL = re.compile(r"^(?:https?:|ftp:)?//\S+$", re.IGNORECASE)
_DATE_TIME = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[/T ]\d{1,2}:\d{2}(?::\d{2})?\S*)?$")
_ACCESSED = re.compile(r"^(?:last\s+)?(?:accessed|retrieved|cited|viewed)(?:\s+on)?\s*:?\s*", re.I)


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


def is_suffix(text: str) -> bool:
    """Whether a name part is a generational suffix: Jr, Sr, III, 2nd."""
    return bool(_SUFFIX.match(clean_text(text)))


def person(family: str, given: str = "", suffix: str = "") -> dict[str, str]:
    """An author entry; the suffix ("Jr.", "III") is kept without its period, as NLM writes it."""
    family = clean_text(family)
    initials = initials_from_given(given)
    name = {"family": family, "initials": initials} if initials else {"family": family}
    suffix = clean_text(suffix).rstrip(".")
    if suffix:
        name["suffix"] = suffix
    return name


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
        family, *rest = (clean_text(part) for part in text.split(","))
        given, suffix = (rest + [""])[0], ""
        if len(rest) > 1 and is_suffix(rest[0]):  # BibTeX order: "King, Jr., Martin Luther"
            suffix, given = rest[0], rest[1]
        elif len(rest) > 1 and is_suffix(rest[-1]):  # "Smith, John, Jr"
            suffix = rest[-1]
        elif " " in given and _SUFFIX_AFTER_GIVEN.match(given.rsplit(" ", 1)[1]):  # "…, ML Jr"
            given, suffix = given.rsplit(" ", 1)
        return person(family, given, suffix) if family else {"literal": text}
    words = text.split(" ")
    suffix = words.pop() if len(words) > 2 and _SUFFIX_AFTER_GIVEN.match(words[-1]) else ""
    family, last = " ".join(words[:-1]), words[-1]
    if family and _INITIALS.match(last):
        return person(family, last, suffix)
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
    """A full date from "2024/03/05", "2024-03-05" or "2024 Mar 5"; otherwise the text itself.

    A time after the date ("2023/01/23/21:42:58", Zotero's RIS Y2) is dropped, and so is an
    "Accessed:" before it ("Accessed: Feb. 3, 2016", as IEEE-style exports write it).
    """
    text = _ACCESSED.sub("", clean_text(text)).strip("/").replace(".", "")
    if not text:
        return None
    match = _DATE_TIME.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return text
    for pattern in (
        "%b %d, %Y",
        "%B %d, %Y",
        "%d %B %Y",
        "%Y %B %d",
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


def kind_from_types(types: Iterable[str], default: str) -> str:
    """Guideline or systematic review when a publication type says so, else `default`.

    Only publication types (PubMed PT, RIS M3, CSL genre, biblatex type) count, never subject
    keywords: an article indexed under "Practice Guidelines as Topic" is about guidelines, not one.
    """
    for text in types:
        words = clean_text(text).lower()
        if "as topic" in words:
            continue
        if "guideline" in words:
            return Kind.GUIDELINE
        if "systematic review" in words:
            return Kind.SYSTEMATIC_REVIEW
    return default


def status_from(texts: Iterable[str]) -> str:
    """Epub ahead of print or forthcoming, when an export's status or note says so; else ''.

    PubMed writes PST "aheadofprint", Scopus "Article in Press", Ovid and EndNote notes
    "Epub ahead of print"; "in press" or "forthcoming" means accepted but not yet out.
    """
    words = " ".join(clean_text(t).lower() for t in texts)
    if re.search(r"ahead\s*of\s*print|article in press|online ahead", words):
        return Reference.Status.EPUB_AHEAD
    if re.search(r"\bforthcoming\b|\bin press\b|accepted for publication", words):
        return Reference.Status.FORTHCOMING
    return ""


def doi_and_link(text: str) -> tuple[str, str]:
    """The DOI as given, %-escapes decoded; a shortDOI ("10/fqd6hj") as a doi.org link instead.

    A shortDOI cannot be turned into its full DOI offline, and the DOI field takes only full
    ones; https://doi.org/10/fqd6hj resolves, so the link keeps the identifier usable.
    """
    text = clean_text(text)
    if re.search(r"%[0-9a-f]{2}", text, re.IGNORECASE):
        text = unquote(text)  # "10.1007%2Fs00125-…" as a URL path writes it
    bare = _DOI_RESOLVER.sub("", text)
    if _SHORT_DOI.match(bare):
        return "", f"https://doi.org/{bare}"
    return text, ""


def url_from(text: str) -> str:
    """The first link of a value: "//www…" gets https, a second URL on the same line is dropped."""
    for word in re.split(r"[\s;]+", clean_text(text)):
        if _URL.match(word):
            return f"https:{word}" if word.startswith("//") else word
    return clean_text(text)


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
