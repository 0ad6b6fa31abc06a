"""The pieces of an NLM / Vancouver entry: names, pages, editions, dates, publication facts.

Kept apart from `vancouver`, which assembles whole entries per kind, so each stays short.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from references.models import Reference

# Citing Medicine lists the first six names, then "et al.".
MAX_NAMES = 6

# English abbreviations whatever the active locale: NLM dates are never translated.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TERMINAL = (".", "?", "!")
_RANGE = re.compile(r"^\s*([^\s–—-]+)\s*[-–—]\s*([^\s–—-]+)\s*$")
_LINK_SCHEMES = frozenset({"http", "https"})


def abbreviate_pages(pages: str) -> str:
    """Shorten page ranges as NLM does: 3147-3161 -> 3147-61, 1199-1201 -> 1199-201.

    Only numeric ranges of equal length are shortened (99-101 stays as is); article numbers and
    ranges such as e12-e19 or S10-S15 are kept as written, since dropping their prefix would
    change their meaning. Several ranges separated by commas are each shortened.
    """
    out: list[str] = []
    for chunk in (pages or "").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = _RANGE.match(chunk)
        if not match:
            out.append(chunk)
            continue
        first, last = match.groups()
        if first == last:
            out.append(first)
        elif first.isdigit() and last.isdigit() and len(first) == len(last):
            common = 0
            while common < len(first) - 1 and first[common] == last[common]:
                common += 1
            out.append(f"{first}-{last[common:]}")
        else:
            out.append(f"{first}-{last}")
    return ", ".join(out)


def format_names(names: Iterable[Any], *, more: bool = False) -> str:
    """`Family Initials` names separated by commas; after six names, ", et al.".

    `more` says the stored list is itself truncated (only the first authors are known), so
    "et al." follows whatever is listed. Corporate names ({"literal": ...}) are written as
    given. Entries that are not dicts or carry no name are skipped rather than crash a page
    render over one bad record.
    """
    written = [n for n in (name(item) for item in names or ()) if n]
    if len(written) > MAX_NAMES or (more and written):
        return ", ".join(written[:MAX_NAMES]) + ", et al."
    return ", ".join(written)


def format_edition(edition: str) -> str:
    """`2` -> `2nd ed.`; text already ending in "ed." is kept; other text gets " ed."."""
    edition = (edition or "").strip()
    if not edition:
        return ""
    if edition.isdigit():
        return f"{ordinal(int(edition))} ed."
    if edition.lower().endswith(("ed.", "ed")):
        return edition if edition.endswith(".") else f"{edition}."
    return f"{edition.rstrip('.')} ed."


def format_cited(day: datetime.date) -> str:
    """`[cited 2024 Mar 5]`: NLM writes the day without a leading zero."""
    return f"[cited {day.year} {_MONTHS[day.month - 1]} {day.day}]"


def name(item: Any) -> str:
    """`Family Initials Suffix` ("King ML Jr", Citing Medicine ch. 1), or a corporate name."""
    if not isinstance(item, dict):
        return ""
    literal = str(item.get("literal") or "").strip()
    if literal:
        return literal
    family = str(item.get("family") or "").strip()
    if not family:
        return ""
    initials = str(item.get("initials") or "")
    if not initials and item.get("given"):
        # A given name but no initials: take the first letter of each part ("Jean-Pierre" -> JP).
        initials = "".join(p[0] for p in re.split(r"[\s.-]+", str(item["given"])) if p)
    initials = re.sub(r"[\s.]", "", initials)
    # Citing Medicine writes Jr and Sr without periods, after the initials, and 2nd, 3rd as such.
    suffix = str(item.get("suffix") or "").replace(".", "").replace(",", "").strip()
    return " ".join(part for part in (family, initials, suffix) if part)


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def sentence(text: str) -> str:
    """`text` ending with a period, unless it already ends with `.`, `?` or `!`."""
    text = text.strip()
    if not text:
        return ""
    return text if text.endswith(_TERMINAL) else f"{text}."


def with_medium(title: str) -> str:
    """`Title [Internet].`: the designator follows the title, a title's own ? or ! stays."""
    title = title.strip().rstrip(".").rstrip()
    return f"{title} [Internet]."


def publication(*, place: str, publisher: str, date: str) -> str:
    """`Place: Publisher; Date.`, with Citing Medicine's placeholders when one half is missing.

    With neither place nor publisher there is nothing to hold a placeholder for, so only the
    date is given.
    """
    place, publisher = place.strip(), publisher.strip()
    if place or publisher:
        return f"{place or '[place unknown]'}: {publisher or '[publisher unknown]'}; {date}."
    return f"{date}."


def year_of(ref: Reference) -> str:
    return str(ref.year) if ref.year else ""


def http_url(url: str) -> str:
    """The URL if it is an http(s) URL a link may point to, else ''."""
    url = (url or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in _LINK_SCHEMES else ""
