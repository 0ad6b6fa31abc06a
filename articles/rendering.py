"""Article Markdown to safe HTML with Vancouver-numbered citations.

Markdown (markdown-it-py, raw HTML off) -> headings shifted down one level -> nh3 allowlist
sanitisation -> citation markers in the sanitised text replaced by numbered links. The markup for
citations is added after sanitisation, so the only HTML that skips the sanitiser is our own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from articles.content import MARKER_GROUP, MARKER_SPLIT
from references.identifiers import normalize_marker
from references.models import Reference
from references.vancouver import format_reference, format_reference_text

# Part of every Rendition's key: bump it whenever the HTML this module produces changes.
PIPELINE_VERSION: str = "2"

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "a",
        "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
        "dl", "dt", "dd",
        # Strikethrough is enabled in the Markdown parser, so its output must survive too.
        "s", "del",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them; other disallowed tags are unwrapped, keeping their text.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)

# h1 is the page's title, so a body heading is at least h2 (`#` and `##` both give h2, which
# lets authors write sections as `##`, as they would in any Markdown document). At most h4.
_TOP_HEADING, _DEEPEST_HEADING = 2, 4

# A tag of nh3's output. nh3 escapes `<` and `>` inside attribute values, so `>` ends a tag.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
# Text inside these is literal code (or already a link): markers there are not citations.
_CODE_TAGS = frozenset({"code", "pre"})
_VOID_TAGS = frozenset({"br", "hr"})


@dataclass(frozen=True)
class Citation:
    """One numbered entry of an article's reference list."""

    number: int
    reference_id: int | None
    citekey: str
    kind: str
    kind_label: str
    html: str
    text: str
    doi: str
    pmid: str
    pmcid: str
    url: str

    @classmethod
    def from_reference(cls, ref: Reference, *, number: int) -> Citation:
        return cls(
            number=number,
            reference_id=ref.pk,
            citekey=ref.citekey,
            kind=str(ref.kind),  # a plain value, not the TextChoices member
            kind_label=str(ref.get_kind_display()),
            html=str(format_reference(ref)),
            text=format_reference_text(ref),
            doi=ref.doi,
            pmid=ref.pmid,
            pmcid=ref.pmcid,
            url=ref.url,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values, for `Rendition.citations`."""
        return asdict(self)


@dataclass(frozen=True)
class Rendered:
    html: str
    citations: list[Citation]


# --- references -----------------------------------------------------------------------------


def _lookup(raw: str, references: Mapping[str, Reference]) -> Reference | None:
    """The reference a raw marker key names, or None if it is malformed or unknown."""
    try:
        key = normalize_marker(raw)
    except ValidationError:
        return None
    return references.get(key) or references.get(raw)


# --- listed sources -------------------------------------------------------------------------


def listed_not_cited(
    *, sources: Iterable[str], citation_keys: Iterable[str], references: Mapping[str, Reference]
) -> list[tuple[str, Reference]]:
    """The listed sources that no citation marker names, as (key, reference), in list order.

    A source counts as cited when a marker names its reference by any of its keys: a marker
    `[@bowden-2018]` cites a listed `pmid:30288020` of the same paper. `references` must hold
    both the sources' and the markers' keys (`references_for_keys` of both: one query). A
    source the library does not resolve is left out here; `unresolved_keys` names it.
    """
    cited = {ref.pk for key in citation_keys if (ref := _lookup(key, references)) is not None}
    uncited: dict[int | None, tuple[str, Reference]] = {}
    for key in sources:
        ref = _lookup(key, references)
        if ref is not None and ref.pk not in cited:
            uncited.setdefault(ref.pk, (key, ref))
    return list(uncited.values())


def further_reading(
    *, sources: Iterable[str], citation_keys: Iterable[str], references: Mapping[str, Reference]
) -> list[dict[str, Any]]:
    """The listed sources that none of the texts cites, as bibliography entries.

    Unnumbered (no "number": nothing in the text points at them), otherwise the fields of a
    `Citation`. `references` must hold the keys of both (`references_for_keys`, one query).
    """
    entries = []
    for _, ref in listed_not_cited(
        sources=sources, citation_keys=citation_keys, references=references
    ):
        entry = Citation.from_reference(ref, number=0).as_dict()
        del entry["number"]
        entries.append(entry)
    return entries


# --- sanitising -----------------------------------------------------------------------------


def sanitize_html(html_text: str) -> str:
    """nh3 allowlist clean; exposed so other user HTML paths reuse it.

    Only the tags and attributes above survive, links only to http, https and mailto (or
    relative), and every link gets `rel="noopener noreferrer"`.
    """
    return nh3.clean(
        html_text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def markdown_parser() -> MarkdownIt:
    """The article Markdown parser (also read by `articles.sourcemap` for the same tokens)."""
    # Raw HTML off: `<script>` typed in an article is shown as text, never parsed as markup.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _safe_html(text: str) -> str:
    """Markdown to sanitised HTML, headings shifted, citation markers still as typed."""
    md = markdown_parser()
    tokens = md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(max(int(token.tag[1]), _TOP_HEADING), _DEEPEST_HEADING)
            token.tag = f"h{level}"
    return sanitize_html(md.renderer.render(tokens, md.options, {}))


# --- markers --------------------------------------------------------------------------------


def text_nodes(safe_html: str) -> Iterator[tuple[str, bool, frozenset[str]]]:
    """Split sanitised HTML into (chunk, is_text, open_tags) pieces, tags and text in order.

    `open_tags` names the elements a text chunk sits inside (a, code, h2...), so each
    post-processing step decides where it may add markup: citations skip code, the glossary
    also skips links and headings. Tags come back with is_text False, to be copied unchanged.
    """
    depth: dict[str, int] = {}
    position = 0
    for tag in _TAG.finditer(safe_html):
        if tag.start() > position:
            yield (
                safe_html[position : tag.start()],
                True,
                frozenset(n for n, d in depth.items() if d),
            )
        yield tag.group(0), False, frozenset()
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in _VOID_TAGS:
            depth[name] = max(depth.get(name, 0) + (-1 if closing else 1), 0)
        position = tag.end()
    if position < len(safe_html):
        yield safe_html[position:], True, frozenset(n for n, d in depth.items() if d)


def _text_nodes(safe_html: str) -> Iterator[tuple[str, bool, bool]]:
    """(chunk, is_text outside code, inside a link): the view the citation steps need."""
    for chunk, is_text, open_tags in text_nodes(safe_html):
        yield chunk, is_text and not open_tags & _CODE_TAGS, "a" in open_tags


def _group_keys(group: re.Match[str]) -> list[str]:
    # The same split as content.marker_keys, so keys here are the keys the article stored.
    return [part.lstrip("@").strip() for part in MARKER_SPLIT.split(group.group(1))]


def _marker_keys_outside_code(safe_html: str) -> Iterator[str]:
    for chunk, is_text, _ in _text_nodes(safe_html):
        if is_text:
            # Markers are matched in the unescaped text: `&lt;` would otherwise split at `;`.
            for group in MARKER_GROUP.finditer(html.unescape(chunk)):
                yield from _group_keys(group)


def unresolved_keys(keys: Iterable[str], references: Mapping[str, Reference]) -> list[str]:
    """The keys (as given) that are malformed or not in `references`; in order, no repeats."""
    return list(dict.fromkeys(k for k in keys if _lookup(k, references) is None))


def unresolved_markers(text: str, references: Mapping[str, Reference]) -> list[str]:
    """Raw marker keys (as written) in text that are malformed or not in `references`.

    In order of first appearance, no repeats. Markers in code are literal code, not citations,
    so they are not checked — exactly as `render_markdown` treats them.
    """
    return unresolved_keys(_marker_keys_outside_code(_safe_html(text)), references)


def _unknown_error(unknown: list[str]) -> ValidationError:
    return ValidationError(
        "Unknown citation marker(s): %(markers)s",
        code="unknown_citation",
        params={"markers": ", ".join(f"[@{key}]" for key in unknown)},
    )


class _Numbering:
    """Vancouver numbers: by first citation; one source keeps one number however it is cited."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._numbers: dict[object, int] = {}
        self._occurrences: dict[int, int] = {}

    def number(self, ref: Reference) -> int:
        # Unsaved references (previews, tests) have no pk; their citekey is unique instead.
        identity: object = ref.pk if ref.pk is not None else ("citekey", ref.citekey)
        if identity not in self._numbers:
            self._numbers[identity] = len(self.citations) + 1
            self.citations.append(Citation.from_reference(ref, number=self._numbers[identity]))
        return self._numbers[identity]

    def occurrence(self, number: int) -> int:
        self._occurrences[number] = self._occurrences.get(number, 0) + 1
        return self._occurrences[number]


def _citation_markup(numbers: list[int], numbering: _Numbering, *, in_link: bool) -> str:
    links = []
    for number in numbers:
        anchor = f"cite-{number}-{numbering.occurrence(number)}"
        if in_link:
            # Already inside a link: an anchor may not nest in another, so keep only the target id.
            links.append(format_html('<span id="{}">{}</span>', anchor, number))
        else:
            links.append(
                format_html(
                    '<a href="#ref-{n}" id="{id}" aria-label="Reference {n}">{n}</a>',
                    n=number,
                    id=anchor,
                )
            )
    return format_html('<sup class="citation">{}</sup>', mark_safe(",".join(links)))


def _replace_markers(
    chunk: str,
    references: Mapping[str, Reference],
    numbering: _Numbering,
    *,
    in_link: bool,
    keep_unknown: bool = False,
) -> str:
    text = html.unescape(chunk)
    if not MARKER_GROUP.search(text):
        return chunk  # untouched text keeps nh3's exact serialisation
    out: list[str] = []
    position = 0
    for group in MARKER_GROUP.finditer(text):
        # A superscript number sits right after the word it supports: "mineralization[1]."
        out.append(html.escape(text[position : group.start()].rstrip(" "), quote=False))
        numbers: list[int] = []
        found = [_lookup(key, references) for key in _group_keys(group)]
        if keep_unknown and None in found:
            out.append(html.escape(group.group(), quote=False))  # shown as typed
            position = group.end()
            continue
        for key, ref in zip(_group_keys(group), found, strict=True):
            if ref is None:  # render_markdown checks every marker first; this is a safety net
                raise _unknown_error([key])
            numbers.append(numbering.number(ref))
        # Within one group the same source is cited once and numbers read in ascending order.
        out.append(_citation_markup(sorted(set(numbers)), numbering, in_link=in_link))
        position = group.end()
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def render_markdown(
    text: str, *, references: Mapping[str, Reference], keep_unknown: bool = False
) -> Rendered:
    """Render Markdown to safe HTML with numbered citations.

    Raises ValidationError (code "unknown_citation") whose message names every unknown or
    malformed marker, e.g. 'Unknown citation marker(s): [@pmid:123], [@nosuchkey]'. With
    `keep_unknown` (a stored version, whose markers the services checked when it was written)
    such a marker is shown as typed instead: one the library cannot resolve now got there
    outside the services, and refusing would answer 500 to every reader of the page.
    """
    safe = _safe_html(text)
    unknown = unresolved_keys(_marker_keys_outside_code(safe), references)
    if unknown and not keep_unknown:
        raise _unknown_error(unknown)
    numbering = _Numbering()
    out = [
        _replace_markers(chunk, references, numbering, in_link=in_link, keep_unknown=keep_unknown)
        if is_text
        else chunk
        for chunk, is_text, in_link in _text_nodes(safe)
    ]
    return Rendered(html="".join(out), citations=numbering.citations)


def render_page_markdown(text: str) -> str:
    """Safe HTML for a page with no reference list (site pages, the board's introduction).

    Such a page cites nothing, so a `[@…]` in it is plain text, shown as typed: treating it as a
    citation would refuse the whole page (a 500 for every reader) over an editor's bracket.
    """
    return _safe_html(text)
