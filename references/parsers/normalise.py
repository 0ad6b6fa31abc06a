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

from references.models import Reference

Kind = Reference.Kind

_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_NAME_PARTS = re.compile(r"[\s.\-‐‑–]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*(?:-{1,3}|[–—‐‑])\s*([A-Za-z]*)(\d+)\s*$")
_NOTE_LINE = re.compile(r"^\s*(pmid|pmcid|superseded[- ]by)\s*:\s*(\S+)\s*$", re.IGNORECASE)
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
