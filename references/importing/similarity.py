"""Whether two records that share a title are one work, another work, or cannot be told apart.

Merging two different works corrupts the library (the second paper's DOI lands on the first,
and `[@doi:…]` markers then cite the wrong paper), while keeping a duplicate only costs an
editor's look. So identifiers decide first; without them a title, year and first author are
only a match when nothing that locates the work (volume, issue, pages, journal) disagrees, and
whatever is left uncertain is a *possible* duplicate the editor decides on.
"""

from __future__ import annotations

import html
import re
from enum import StrEnum
from typing import Any

from references.parsers import ascii_slug

_MARKUP = re.compile(r"<[^>]{0,200}>")
# German transliteration: "Wörmann" is also written "Woermann" (and "Wormann" once accents go).
_DIGRAPHS = re.compile(r"(?<=[a-z])([aou])e")
_PARTICLES = frozenset(
    {"de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von", "ten", "ter"}
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})


class Verdict(StrEnum):
    SAME = "same"
    POSSIBLE = "possible"
    DIFFERENT = "different"


def _ascii_words(text: str) -> list[str]:
    """Lower-case ASCII words, "Wörmann" and "Woermann" alike; markup and entities removed."""
    text = html.unescape(_MARKUP.sub(" ", text or ""))
    text = text.replace("&", " and ")
    return [_DIGRAPHS.sub(r"\1", word) for word in ascii_slug(text).split("-") if word]


def work_title_key(title: str) -> str:
    """A title reduced for comparison: no markup, entities, case, accents or punctuation.

    "&" and "and" are one word; `<i>In vivo</i>` reads as "In vivo".
    """
    return " ".join(_ascii_words(title))


def family_key(name: Any) -> str:
    """A person's family name without particles and suffixes: "de Hoon" and "Hoon, M de" alike."""
    if not isinstance(name, dict):
        return ""
    if name.get("literal"):
        return " ".join(_ascii_words(str(name["literal"])))
    words = _ascii_words(str(name.get("family") or ""))
    kept = [w for w in words if w not in _PARTICLES and w not in _SUFFIXES]
    return " ".join(kept or words)


def first_author_key(authors: Any) -> str:
    first = authors[0] if isinstance(authors, list) and authors else None
    return family_key(first)


def _journal_key(value: Any) -> str:
    words = [w for w in _ascii_words(str(value or "")) if w not in {"the", "and", "of"}]
    return " ".join(words)


def _pages_key(value: Any) -> str:
    """The first page, which both "3147-61" and "3147-3161" start with."""
    return re.split(r"\s*[-–—,]\s*", str(value or "").strip().lower())[0]


def _plain(value: Any) -> str:
    return str(value or "").strip().lower()


_LOCATORS = (("volume", _plain), ("issue", _plain), ("pages", _pages_key))


def compare(a: dict[str, Any], b: dict[str, Any]) -> tuple[Verdict, str]:
    """The verdict on two records whose titles match, and why, for the editor to read.

    Different identifiers, first authors, volumes, issues or pages are different works (a
    series in two issues of one journal shares title, year and author). A year one apart is
    the e-pub and print year of one work only when journal and volume agree.
    """
    shared = False
    for name, label in (("doi", "DOI"), ("pmid", "PMID"), ("pmcid", "PMCID")):
        left, right = _plain(a.get(name)), _plain(b.get(name))
        if left and right:
            if left != right:
                return Verdict.DIFFERENT, f"different {label}"
            shared = True
    if shared:
        return Verdict.SAME, "same identifier"
    first_a, first_b = first_author_key(a.get("authors")), first_author_key(b.get("authors"))
    if first_a and first_b and first_a != first_b:
        return Verdict.DIFFERENT, "different first author"
    for name, key in _LOCATORS:
        left, right = key(a.get(name)), key(b.get(name))
        if left and right and left != right:
            return Verdict.DIFFERENT, f"different {name}"
    doubts = []
    journal_a, journal_b = _journal_key(a.get("journal")), _journal_key(b.get("journal"))
    if journal_a and journal_b and journal_a != journal_b:
        doubts.append("the journal is written differently")
    if not (first_a and first_b):
        doubts.append("one of them names no author")
    year_a, year_b = a.get("year"), b.get("year")
    if year_a != year_b:
        confirmed = (
            journal_a
            and journal_a == journal_b
            and _plain(a.get("volume"))
            and _plain(a.get("volume")) == _plain(b.get("volume"))
        )
        if not confirmed:
            doubts.append(f"the years differ ({year_a}, {year_b})")
    if doubts:
        return Verdict.POSSIBLE, "same title, but " + " and ".join(doubts)
    return Verdict.SAME, "same title and year"
