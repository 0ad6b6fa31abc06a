"""Format library references in the NLM / Vancouver style (Citing Medicine, 2nd edition).

One entry is built once as a list of segments (plain text, links, flags) and then written out
either as plain text or as HTML, so the two outputs cannot drift apart. Every field value is
escaped on the way into HTML: reference fields are edited by people and imported from
third-party metadata, so none of them is trusted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from references.models import Reference
from references.nlm import (
    MAX_NAMES,
    abbreviate_pages,
    format_cited,
    format_edition,
    format_names,
    http_url,
    name,
    publication,
    sentence,
    with_medium,
    year_of,
)

__all__ = [
    "MAX_NAMES",
    "abbreviate_pages",
    "format_cited",
    "format_edition",
    "format_names",
    "format_reference",
    "format_reference_text",
    "format_short_reference",
    "journal_abbreviation",
]

Kind = Reference.Kind
Status = Reference.Status
# Citing Medicine's bracketed content designators, after the title (chapters 4, 24).
_DESIGNATORS = {
    Kind.THESIS: "dissertation",
    Kind.DATASET: "dataset",
    Kind.SOFTWARE: "computer program",
    Kind.PERSONAL_COMMUNICATION: "personal communication",
}


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
    names = [n for n in (name(item) for item in ref.authors or ()) if n]
    if not names:
        lead = ""
    elif len(names) > 1 or ref.more_authors:
        lead = f"{names[0]}, et al."
    else:
        lead = sentence(names[0])
    year = f"{ref.year}." if ref.year else ""
    title = " ".join((ref.title or "").split()).rstrip(".")
    if len(title) > SHORT_TITLE_LENGTH:
        # One character more: a cut right before a space keeps its last word whole.
        cut = title[: SHORT_TITLE_LENGTH + 1].rsplit(" ", 1)[0] or title[:SHORT_TITLE_LENGTH]
        title = cut.rstrip(" ,;:") + "…"
    return " ".join(part for part in (lead, year, title) if part)


# --- whole entries --------------------------------------------------------------------------


def _segments(ref: Reference) -> list[_Segment]:
    kind = ref.kind
    if kind == Kind.BOOK:
        body, url_shown = _book(ref), False
    elif kind in (Kind.CHAPTER, Kind.CONFERENCE_PAPER) and ref.container_title.strip():
        # A paper in proceedings is cited like a chapter of a book (Citing Medicine ch. 3).
        body, url_shown = _chapter(ref), False
    elif kind == Kind.WEB_PAGE and ref.container_title.strip():
        body, url_shown = _website_part(ref), True
    elif kind == Kind.WEB_PAGE:
        body, url_shown = _document(ref, internet=True), True
    elif ref.journal.strip() or (kind == Kind.NEWS_ARTICLE and ref.container_title.strip()):
        # Journal articles, news articles, and guidelines or reviews published in a journal.
        body, url_shown = _journal(ref), False
    else:
        # A report, thesis, dataset, guideline issued by a body…: a document, or an Internet
        # document when it has a URL.
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
    """`Authors. Title.` — editors stand in for absent authors; the title alone without either."""
    parts = []
    authors = format_names(ref.authors, more=ref.more_authors)
    if authors:
        parts.append(sentence(authors))
    elif ref.kind == Kind.BOOK and _editors(ref):
        parts.append(_editors(ref))
    if title:
        parts.append(title)
    return parts


def _editors(ref: Reference) -> str:
    """`Smith J, Jones K, editors.` (Citing Medicine ch. 2, "Editor and other secondary authors")."""
    editors = format_names(ref.editors)
    if not editors:
        return ""
    count = len([e for e in ref.editors or () if name(e)])
    return f"{editors}, {'editor' if count == 1 else 'editors'}."


def journal_abbreviation(journal: str) -> str:
    """NLM abbreviations have no periods: "J. Chem. Phys." -> "J Chem Phys", "U.S.A." -> "U S A"."""
    text = re.sub(r"\.(?=[^\s.])", " ", journal.strip())
    return " ".join(text.replace(".", " ").split())


def _journal(ref: Reference) -> list[_Segment]:
    """`Authors. Title. Journal. Year;Vol(Issue):pages.`"""
    parts = _lead(ref, title=sentence(ref.title))
    parts.append(sentence(journal_abbreviation(ref.journal or ref.container_title)))
    year = year_of(ref) or "[date unknown]"
    volume, issue = ref.volume.strip(), ref.issue.strip()
    pages = abbreviate_pages(ref.pages)
    locator = volume + (f"({issue})" if issue else "")
    if ref.status == Status.FORTHCOMING:
        # Accepted, not yet published: no locator exists yet (Citing Medicine ch. 1).
        source = f"Forthcoming {year_of(ref)}".strip()
    elif locator:
        source = f"{year};{locator}" + (f":{pages}" if pages else "")
    elif pages:
        # No volume or issue (electronic-only, continuous publication): the date takes the pages.
        source = f"{year}:{pages}"
    elif ref.status == Status.EPUB_AHEAD or ref.kind == Kind.JOURNAL_ARTICLE:
        # Nothing to locate it in the journal yet: published ahead of print.
        source = f"{year} [Epub ahead of print]"
    else:
        source = year
    parts.append(sentence(source))
    return [" ".join(parts)]


def _book(ref: Reference) -> list[_Segment]:
    """`Authors. Title. Edition ed. [Editors, editors.] Place: Publisher; Year.`"""
    parts = _lead(ref, title=sentence(ref.title))
    edition = format_edition(ref.edition)
    if edition:
        parts.append(edition)
    if ref.authors and _editors(ref):
        parts.append(_editors(ref))  # secondary authors follow the edition
    parts.append(
        publication(place=ref.place, publisher=ref.publisher, date=year_of(ref) or "[date unknown]")
    )
    return [" ".join(parts)]


def _chapter(ref: Reference) -> list[_Segment]:
    """`Authors. Chapter. In: Editors, editors. Book. Edition. Place: Publisher; Year. p. pages.`"""
    parts = _lead(ref, title=sentence(ref.title))
    editors = _editors(ref)
    parts.append(f"In: {editors}" if editors else "In:")
    parts.append(sentence(ref.container_title))
    edition = format_edition(ref.edition)
    if edition:
        parts.append(edition)
    parts.append(
        publication(place=ref.place, publisher=ref.publisher, date=year_of(ref) or "[date unknown]")
    )
    pages = abbreviate_pages(ref.pages)
    if pages:
        parts.append(f"p. {pages}.")
    return [" ".join(parts)]


def _dated(ref: Reference, *, internet: bool) -> str:
    """The year, with `[cited …]` for something read on the Internet."""
    date = year_of(ref)
    if internet and ref.accessed_on:
        cited = format_cited(ref.accessed_on)
        date = f"{date} {cited}" if date else cited
    return date or "[date unknown]"


def _link(ref: Reference) -> list[_Segment]:
    url = ref.url.strip()
    if not url:
        return []
    href = http_url(url)
    # A URL that is not http(s) is shown but never made a link: it could be javascript:.
    return [" Available from: ", _Link(url, href) if href else url]


def _document(ref: Reference, *, internet: bool) -> list[_Segment]:
    """`Authors. Title [designator] [Internet]. Place: Publisher; Year [cited ...]. Available from: URL`.

    Without a URL it is a report: no medium, no cited date. The issuing body stands in as
    publisher, and a web page's site name when the publisher is not recorded. A thesis, dataset
    or program carries its content designator (Citing Medicine ch. 4, 24).
    """
    title = ref.title.strip().rstrip(".").rstrip()
    designator = _DESIGNATORS.get(ref.kind)
    if designator:
        title = f"{title} [{designator}]"
    title = with_medium(title) if internet else sentence(title)
    parts = _lead(ref, title=title)
    if ref.kind == Kind.SOFTWARE and ref.edition.strip():
        parts.append(sentence(f"Version {ref.edition.strip()}"))
    elif ref.edition.strip():
        parts.append(format_edition(ref.edition))
    parts.append(
        publication(place=ref.place, publisher=_issuer(ref), date=_dated(ref, internet=internet))
    )
    return [" ".join(parts), *(_link(ref) if internet else [])]


def _website_part(ref: Reference) -> list[_Segment]:
    """`Site [Internet]. Place: Publisher; Year [cited …]. Part title. Available from: URL`.

    Part of a website (Citing Medicine ch. 25): the site is the publication, the part follows
    its publication facts; a part with its own authors is "Authors. Part. In: Site …".
    """
    site = with_medium(ref.container_title)
    issuer = ref.publisher
    part = [
        site,
        publication(place=ref.place, publisher=issuer, date=_dated(ref, internet=True)),
    ]
    authors = format_names(ref.authors, more=ref.more_authors)
    if authors:
        text = " ".join([sentence(authors), sentence(ref.title), "In:", *part])
    else:
        text = " ".join([*part, sentence(ref.title)])
    return [text, *_link(ref)]


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
        href = http_url(url)
        segments += [" Available from: ", _Link(url, href) if href else url]
    return segments
