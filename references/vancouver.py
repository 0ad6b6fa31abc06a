"""Format library references in the NLM / Vancouver style (Citing Medicine, 2nd edition).

One entry is built once as a list of segments (plain text, links, flags) and then written out
either as plain text or as HTML, so the two outputs cannot drift apart. Every field value is
escaped on the way into HTML: reference fields are edited by people and imported from
third-party metadata, so none of them is trusted.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from references.models import Reference

# Citing Medicine lists the first six names, then "et al.".
MAX_NAMES = 6

# English abbreviations whatever the active locale: NLM dates are never translated.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TERMINAL = (".", "?", "!")
_RANGE = re.compile(r"^\s*([^\s–—-]+)\s*[-–—]\s*([^\s–—-]+)\s*$")
_LINK_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class _Link:
    text: str
    href: str


@dataclass(frozen=True)
class _Flag:
    text: str
    tag: str  # "strong" for a retraction (it must stand out), "span" otherwise


_Segment = str | _Link | _Flag


def format_reference(ref: Reference) -> SafeString:
    """One bibliography entry as safe HTML.

    DOI, PMID, PMCID and a web page's URL are links; a retracted or superseded reference carries
    a visible flag.
    """
    parts: list[str] = []
    for segment in _segments(ref):
        if isinstance(segment, _Link):
            parts.append(
                format_html('<a href="{}" rel="noopener">{}</a>', segment.href, segment.text)
            )
        elif isinstance(segment, _Flag):
            parts.append(
                format_html(
                    '<{tag} class="ref-flag">{text}</{tag}>',
                    tag=mark_safe(segment.tag),  # one of two literals above, never user data
                    text=segment.text,
                )
            )
        else:
            parts.append(escape(segment))
    return mark_safe("".join(parts))  # every part was escaped or built by format_html


def format_reference_text(ref: Reference) -> str:
    """The same entry as `format_reference`, as plain text (tests, exports, JSON-LD)."""
    return "".join(s.text if isinstance(s, _Link | _Flag) else s for s in _segments(ref))


# A short reference names a source in a sentence; the title is cut at a word near this length.
SHORT_TITLE_LENGTH = 60


def format_short_reference(ref: Reference) -> str:
    """`Bowden SA, et al. 2018. Alkaline phosphatase in children…`: enough to recognise a source
    in a sentence (a check's problem), in the Vancouver name form, as plain text."""
    names = [n for n in (_name(item) for item in ref.authors or ()) if n]
    if not names:
        lead = ""
    elif len(names) > 1 or ref.more_authors:
        lead = f"{names[0]}, et al."
    else:
        lead = _sentence(names[0])
    year = f"{ref.year}." if ref.year else ""
    title = " ".join((ref.title or "").split()).rstrip(".")
    if len(title) > SHORT_TITLE_LENGTH:
        # One character more: a cut right before a space keeps its last word whole.
        cut = title[: SHORT_TITLE_LENGTH + 1].rsplit(" ", 1)[0] or title[:SHORT_TITLE_LENGTH]
        title = cut.rstrip(" ,;:") + "…"
    return " ".join(part for part in (lead, year, title) if part)


# --- pieces of an entry ---------------------------------------------------------------------


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
    written = [n for n in (_name(item) for item in names or ()) if n]
    if len(written) > MAX_NAMES or (more and written):
        return ", ".join(written[:MAX_NAMES]) + ", et al."
    return ", ".join(written)


def format_edition(edition: str) -> str:
    """`2` -> `2nd ed.`; text already ending in "ed." is kept; other text gets " ed."."""
    edition = (edition or "").strip()
    if not edition:
        return ""
    if edition.isdigit():
        return f"{_ordinal(int(edition))} ed."
    if edition.lower().endswith(("ed.", "ed")):
        return edition if edition.endswith(".") else f"{edition}."
    return f"{edition.rstrip('.')} ed."


def format_cited(day: datetime.date) -> str:
    """`[cited 2024 Mar 5]`: NLM writes the day without a leading zero."""
    return f"[cited {day.year} {_MONTHS[day.month - 1]} {day.day}]"


def _name(item: Any) -> str:
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
    return f"{family} {initials}" if initials else family


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _sentence(text: str) -> str:
    """`text` ending with a period, unless it already ends with `.`, `?` or `!`."""
    text = text.strip()
    if not text:
        return ""
    return text if text.endswith(_TERMINAL) else f"{text}."


def _with_medium(title: str) -> str:
    """`Title [Internet].`: the designator follows the title, a title's own ? or ! stays."""
    title = title.strip().rstrip(".").rstrip()
    return f"{title} [Internet]."


def _publication(*, place: str, publisher: str, date: str) -> str:
    """`Place: Publisher; Date.`, with Citing Medicine's placeholders when one half is missing.

    With neither place nor publisher there is nothing to hold a placeholder for, so only the
    date is given.
    """
    place, publisher = place.strip(), publisher.strip()
    if place or publisher:
        return f"{place or '[place unknown]'}: {publisher or '[publisher unknown]'}; {date}."
    return f"{date}."


def _year(ref: Reference) -> str:
    return str(ref.year) if ref.year else ""


def _http_url(url: str) -> str:
    """The URL if it is an http(s) URL a link may point to, else ''."""
    url = (url or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in _LINK_SCHEMES else ""


# --- whole entries --------------------------------------------------------------------------


def _segments(ref: Reference) -> list[_Segment]:
    kind = ref.kind
    if kind == Reference.Kind.BOOK:
        body, url_shown = _book(ref), False
    elif kind == Reference.Kind.CHAPTER:
        body, url_shown = _chapter(ref), False
    elif kind == Reference.Kind.WEB_PAGE:
        body, url_shown = _document(ref, internet=True), True
    elif ref.journal.strip():
        # Journal articles, and guidelines or systematic reviews published in a journal.
        body, url_shown = _journal(ref), False
    else:
        # A guideline or review issued by a body (or a journal article missing its journal):
        # a report, or an Internet document when it has a URL.
        internet = bool(ref.url.strip())
        body, url_shown = _document(ref, internet=internet), internet
    segments = list(body)
    segments.extend(_identifiers(ref, url_shown=url_shown))
    if ref.retracted_on:
        segments.extend([" ", _Flag("[Retracted]", "strong")])
    if ref.superseded_by_id:
        segments.extend([" ", _Flag("[Superseded]", "span")])
    return segments


def _lead(ref: Reference, *, title: str) -> list[str]:
    """`Authors. Title.` — or the title alone when there is no author."""
    parts = []
    authors = format_names(ref.authors, more=ref.more_authors)
    if authors:
        parts.append(_sentence(authors))
    if title:
        parts.append(title)
    return parts


def _journal(ref: Reference) -> list[_Segment]:
    """`Authors. Title. Journal. Year;Vol(Issue):pages.`"""
    parts = _lead(ref, title=_sentence(ref.title))
    parts.append(_sentence(ref.journal))
    year = _year(ref) or "[date unknown]"
    volume, issue = ref.volume.strip(), ref.issue.strip()
    pages = abbreviate_pages(ref.pages)
    locator = volume + (f"({issue})" if issue else "")
    if locator:
        source = f"{year};{locator}" + (f":{pages}" if pages else "")
    elif pages:
        # No volume or issue (electronic-only, continuous publication): the date takes the pages.
        source = f"{year}:{pages}"
    else:
        # Nothing to locate it in the journal yet: published ahead of print.
        source = f"{year} [Epub ahead of print]"
    parts.append(_sentence(source))
    return [" ".join(parts)]


def _book(ref: Reference) -> list[_Segment]:
    """`Authors. Title. Edition ed. Place: Publisher; Year.`"""
    parts = _lead(ref, title=_sentence(ref.title))
    edition = format_edition(ref.edition)
    if edition:
        parts.append(edition)
    parts.append(
        _publication(place=ref.place, publisher=ref.publisher, date=_year(ref) or "[date unknown]")
    )
    return [" ".join(parts)]


def _chapter(ref: Reference) -> list[_Segment]:
    """`Authors. Chapter. In: Editors, editors. Book. Edition. Place: Publisher; Year. p. pages.`"""
    parts = _lead(ref, title=_sentence(ref.title))
    editors = format_names(ref.editors)
    count = len([e for e in ref.editors or () if _name(e)])
    role = "editor" if count == 1 else "editors"
    parts.append(f"In: {editors}, {role}." if editors else "In:")
    if ref.container_title.strip():
        parts.append(_sentence(ref.container_title))
    edition = format_edition(ref.edition)
    if edition:
        parts.append(edition)
    parts.append(
        _publication(place=ref.place, publisher=ref.publisher, date=_year(ref) or "[date unknown]")
    )
    pages = abbreviate_pages(ref.pages)
    if pages:
        parts.append(f"p. {pages}.")
    return [" ".join(parts)]


def _document(ref: Reference, *, internet: bool) -> list[_Segment]:
    """`Authors. Title [Internet]. Place: Publisher; Year [cited ...]. Available from: URL`.

    Without a URL it is a report: no medium, no cited date. The issuing body stands in as
    publisher, and a web page's site name when the publisher is not recorded.
    """
    title = _with_medium(ref.title) if internet else _sentence(ref.title)
    parts = _lead(ref, title=title)
    date = _year(ref)
    if internet and ref.accessed_on:
        cited = format_cited(ref.accessed_on)
        date = f"{date} {cited}" if date else cited
    parts.append(
        _publication(place=ref.place, publisher=_issuer(ref), date=date or "[date unknown]")
    )
    segments: list[_Segment] = [" ".join(parts)]
    url = ref.url.strip()
    if internet and url:
        href = _http_url(url)
        segments.append(" Available from: ")
        # A URL that is not http(s) is shown but never made a link: it could be javascript:.
        segments.append(_Link(url, href) if href else url)
    return segments


def _issuer(ref: Reference) -> str:
    """Who issued a document: the publisher, else the site's name, else a sole corporate author.

    A guideline from a society often records the society only as its author; Citing Medicine
    then names it as publisher too rather than print "[publisher unknown]".
    """
    if ref.publisher.strip():
        return ref.publisher
    if ref.container_title.strip():
        return ref.container_title
    authors = [a for a in ref.authors or () if isinstance(a, dict)]
    if len(authors) == 1 and str(authors[0].get("literal") or "").strip():
        return str(authors[0]["literal"])
    return ""


def _identifiers(ref: Reference, *, url_shown: bool) -> Sequence[_Segment]:
    """` doi:10.x/y. PMID: N. PMCID: PMCn.` as links; a bare URL only if nothing else locates it."""
    segments: list[_Segment] = []
    doi, pmid, pmcid = ref.doi.strip(), ref.pmid.strip(), ref.pmcid.strip()
    if doi:
        segments += [" ", _Link(f"doi:{doi}", f"https://doi.org/{quote(doi, safe='/:;()')}"), "."]
    if pmid:
        href = f"https://pubmed.ncbi.nlm.nih.gov/{quote(pmid, safe='')}/"
        segments += [" PMID: ", _Link(pmid, href), "."]
    if pmcid:
        href = f"https://www.ncbi.nlm.nih.gov/pmc/articles/{quote(pmcid, safe='')}/"
        segments += [" PMCID: ", _Link(pmcid, href), "."]
    url = ref.url.strip()
    if url and not url_shown and not segments:
        href = _http_url(url)
        segments += [" Available from: ", _Link(url, href) if href else url]
    return segments
