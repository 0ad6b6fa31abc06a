"""Where rendered text comes from: offsets in a rendering's plain text mapped to the Markdown.

A reviewer selects words on the rendered page; the comment must stay anchored to the text the
author wrote. `plain_text` reads a rendition's HTML as the browser's text nodes (the JavaScript of
the reviewer's page counts the same way, in code points), `source_map` aligns that text with the
Markdown it came from, and `highlight` marks ranges of it in the HTML.

The plain text of a rendering leaves out what is not the author's text: a glossary term's tooltip
(`.glossary-tip`) and the "Words explained" list (`.glossary-list`) the glossary appends.

Alignment, in two steps:

1. markdown-it's block tokens carry their line ranges; the inline text, code and breaks inside a
   block are found in order within those lines (escapes and entities are skipped over, link
   destinations jumped), so each character the renderer writes has its source offset.
2. That sequence is merged with the rendition's text: citation numbers (`<sup class="citation">`)
   map to the whole marker they replaced (`[@pmid:30288020]` for its "1"), the spaces the
   renderer drops before a marker are skipped, and whitespace the HTML adds between blocks maps
   to an empty span where it stands.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from markdown_it.token import Token

from articles.content import MARKER_GROUP
from articles.rendering import markdown_parser

# Elements whose text is not the author's (glossary tooltips and the list of words explained).
NOT_TEXT_CLASSES = frozenset({"glossary-tip", "glossary-list"})
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_CLASS = re.compile(r"""\bclass\s*=\s*["']([^"']*)["']""")
_VOID = frozenset({"br", "hr", "img", "wbr"})
# Elements whose content model allows no text but whitespace: an element put in one (a mark on
# the line break between two cells) is moved out of it by the HTML parser ("foster parenting"
# for tables), and the page's text then no longer reads in the order the server counts.
NO_TEXT_INSIDE = frozenset(
    {"table", "thead", "tbody", "tfoot", "tr", "colgroup", "ul", "ol", "dl", "menu"}
)
# Elements that make a block: whitespace beside one of their tags stands between blocks.
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "details", "div", "dl", "dd", "dt",
     "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
     "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
     "tfoot", "th", "thead", "tr", "ul", "caption"}
)  # fmt: skip


class Piece(NamedTuple):
    """A tag or a text chunk of rendered HTML, as read for the plain text.

    `text` is the unescaped text a chunk adds to the plain text (None for tags and for text that
    is not the author's); `citation` numbers the `<sup class="citation">` it sits in; `block`
    numbers the top-level element it sits in (-1: between blocks).
    """

    html: str
    text: str | None
    citation: int | None = None
    block: int = -1
    depth: int = 0
    parent: str = ""


def pieces(body_html: str) -> Iterator[Piece]:
    """Read sanitised HTML (our own, well-formed) into tags and text chunks, in order."""
    # Each open element: (name, inside text that is not the author's, citation group inside).
    stack: list[tuple[str, bool, int | None]] = [("", False, None)]
    block, citations, position = -1, 0, 0
    for tag in _TAG.finditer(body_html):
        start = tag.start()
        if start > position:
            chunk = body_html[position:start]
            _, hidden, group = stack[-1]
            text = None if hidden else html.unescape(chunk) if "&" in chunk else chunk
            yield Piece(chunk, text, group, block, len(stack) - 1, stack[-1][0])
        position = tag.end()
        closing, name, attributes = tag.groups()
        name = name.lower()
        if closing:
            while len(stack) > 1:
                if stack.pop()[0] == name:
                    break
            yield Piece(tag.group(0), None, None, block, len(stack) - 1)
            continue
        if len(stack) == 1:
            block += 1
        yield Piece(tag.group(0), None, None, block, len(stack) - 1)
        if name in _VOID or attributes.rstrip().endswith("/"):
            continue
        _, hidden, group = stack[-1]
        if "class" in attributes:
            found = _CLASS.search(attributes)
            classes = set(found.group(1).split()) if found else set()
            hidden = hidden or bool(classes & NOT_TEXT_CLASSES)
            if name == "sup" and "citation" in classes:
                citations += 1
                group = citations
        stack.append((name, hidden, group))
    if position < len(body_html):
        _, hidden, group = stack[-1]
        chunk = body_html[position:]
        text = None if hidden else html.unescape(chunk)
        yield Piece(chunk, text, group, block, len(stack) - 1, stack[-1][0])


@lru_cache(maxsize=32)
def read(body_html: str) -> tuple[Piece, ...]:
    """`pieces` of a rendition's HTML, kept for the renditions read last: a page asks for the
    plain text and then the marked HTML of the same rendition, and renditions never change."""
    return tuple(pieces(body_html))


def plain_text(body_html: str) -> str:
    """The text a reader sees in a rendering, as the reviewer's page counts it."""
    return "".join(p.text for p in read(body_html) if p.text is not None)


# --- the Markdown side ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One character the renderer writes (`marker` False) or one citation marker (True)."""

    text: str
    start: int
    end: int
    marker: bool = False
    offsets: tuple[int, ...] = ()  # a marker's characters, for one shown as typed


class _Aligner:
    """Finds the characters of inline tokens in the source, in order, within one block."""

    def __init__(self, source: str, start: int, end: int) -> None:
        self.source, self.cursor, self.end = source, start, end

    def char(self, char: str) -> int:
        found = self.source.find(char, self.cursor, self.end)
        if found < 0:  # an entity or a character the parser made: an empty span where we are
            return self.cursor
        self.cursor = found + 1
        return found

    def text(self, text: str) -> Iterator[_Unit]:
        position = 0
        for group in MARKER_GROUP.finditer(text):
            yield from self.chars(text[position : group.start()])
            offsets = tuple(self.char(c) for c in group.group())
            yield _Unit(group.group(), offsets[0], offsets[-1] + 1, True, offsets)
            position = group.end()
        yield from self.chars(text[position:])

    def chars(self, text: str) -> Iterator[_Unit]:
        for c in text:
            at = self.char(c)
            yield _Unit(c, at, at + 1 if self.source[at : at + 1] == c else at)

    def skip_destination(self) -> None:
        """After a link's text: jump over `](destination)` or `][label]` so its characters are not
        taken for the text that follows."""
        rest = self.source[self.cursor : self.end]
        if rest.startswith("]("):
            close = rest.find(")")
            self.cursor += close + 1 if close >= 0 else 0
        elif rest.startswith("]["):
            close = rest.find("]", 2)
            self.cursor += close + 1 if close >= 0 else 0
        elif rest.startswith(("]", ">")):
            self.cursor += 1


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for line in source.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _inline_units(aligner: _Aligner, children: Iterable[Token]) -> Iterator[_Unit]:
    for child in children:
        if child.type == "text":
            yield from aligner.text(child.content)
        elif child.type == "code_inline":
            yield from aligner.chars(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            yield from aligner.chars("\n")
        elif child.type == "link_close":
            aligner.skip_destination()
        elif child.type == "image":  # the sanitiser drops images, alt text and all
            close = aligner.source.find("](", aligner.cursor, aligner.end)
            if close >= 0:
                aligner.cursor = close
                aligner.skip_destination()


def source_units(markdown: str) -> list[_Unit]:
    """The characters (and citation markers) the renderer writes, each with its source span."""
    starts = _line_starts(markdown)
    units: list[_Unit] = []
    aligner, lines = None, None
    for token in markdown_parser().parse(markdown):
        if token.map is None:
            continue
        begin, end = starts[token.map[0]], starts[min(token.map[1], len(starts) - 1)]
        if token.type == "inline":
            # The cells of a table row share the row's lines: each is found after the last.
            if aligner is None or lines != token.map:
                aligner, lines = _Aligner(markdown, begin, end), token.map
            units += _inline_units(aligner, token.children or [])
        elif token.type in ("fence", "code_block"):
            first_line = starts[token.map[0] + 1] if token.type == "fence" else begin
            units += _Aligner(markdown, first_line, end).chars(token.content)
    return units


# --- merging the two ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceMap:
    """A rendering's plain text, and for each of its characters the source span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The Markdown span behind plain-text characters [start, end)."""
        return min(self.starts[start:end]), max(self.ends[start:end])


def source_map(markdown: str, body_html: str) -> SourceMap:
    """Map each character of the rendering's plain text (of `body_html`, rendered from
    `markdown`) to the Markdown span it came from."""
    units = source_units(markdown)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    j = 0
    here = 0
    group_span: dict[int, tuple[int, int]] = {}
    for piece in read(body_html):
        if piece.text is None:
            continue
        for char in piece.text:
            if piece.citation is not None:
                if piece.citation not in group_span:
                    while j < len(units) and not units[j].marker and units[j].text.isspace():
                        j += 1
                    if j < len(units) and units[j].marker:
                        group_span[piece.citation] = (units[j].start, units[j].end)
                        here = units[j].end
                        j += 1
                    else:
                        group_span[piece.citation] = (here, here)
                start, end = group_span[piece.citation]
            else:
                j = _next_match(units, j, char)
                if j < len(units) and units[j].marker:
                    # A marker shown as typed (unknown to the library): its own characters.
                    marker = units[j]
                    units[j : j + 1] = [
                        _Unit(c, o, o + 1) for c, o in zip(marker.text, marker.offsets, strict=True)
                    ]
                if j < len(units) and units[j].text == char:
                    start, end = units[j].start, units[j].end
                    here = end
                    j += 1
                else:  # whitespace the HTML adds between blocks: nothing in the source
                    start = end = units[j].start if j < len(units) else here
            chars.append(char)
            starts.append(start)
            ends.append(end)
    return SourceMap("".join(chars), tuple(starts), tuple(ends))


def _next_match(units: list[_Unit], j: int, char: str) -> int:
    """Skip source whitespace the rendering dropped, when what follows it matches `char`."""
    k = j
    while k < len(units) and not units[k].marker and units[k].text != char:
        if not units[k].text.isspace():
            return j
        k += 1
    if k < len(units) and units[k].text.startswith(char):
        return k
    return j


# --- marking ranges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """A range of the plain text to mark, keyed (a thread's id); `slot` asks for a place after
    the top-level element where the range starts (for the thread beside it)."""

    start: int
    end: int
    key: int
    slot: bool = True


def highlight(body_html: str, marks: Iterable[Highlight]) -> list[str | tuple[int, ...]]:
    """The HTML with each range wrapped in `<mark class="anchor" data-thread="key">` (one per
    text node it covers, save the whitespace where HTML allows no mark: see `_markable`), cut where the keys of the ranges starting in a top-level element are
    to go: after that element, which is wrapped in `<div class="anchored-block">` with them.

    Returns HTML strings and, between them, tuples of keys (in order of their ranges). Each
    range finds its text nodes by bisection, so the work grows with the text plus the marks.
    """
    parts = read(body_html)
    texts = [i for i, piece in enumerate(parts) if piece.text]
    starts = list(accumulate((len(parts[i].text or "") for i in texts), initial=0))
    covering: dict[int, list[Highlight]] = {}
    slots: dict[int, list[int]] = {}
    for mark in sorted(marks, key=lambda m: (m.start, m.key)):
        placed = not mark.slot
        for n in range(max(bisect_right(starts, mark.start) - 1, 0), bisect_left(starts, mark.end)):
            covering.setdefault(texts[n], []).append(mark)
            block = parts[texts[n]].block
            if not placed and block >= 0:
                slots.setdefault(block, []).append(mark.key)
                placed = True
    out: list[str | tuple[int, ...]] = []
    html_parts: list[str] = []
    offset = 0
    for i, piece in enumerate(parts):
        if piece.text is None:
            top = piece.depth == 0 and piece.block in slots
            if top and not piece.html.startswith("</"):
                html_parts.append('<div class="anchored-block">')
            html_parts.append(piece.html)
            if top and (piece.html.startswith("</") or _is_void(piece.html)):
                out += ["".join(html_parts), tuple(slots[piece.block])]
                html_parts = ["</div>"]
            continue
        marked = covering.get(i)
        if marked and _markable(parts, i):
            html_parts.append(_marked(piece.text, offset, marked))
        else:
            html_parts.append(piece.html)
        offset += len(piece.text)
    out.append("".join(html_parts))
    return out


def _markable(parts: tuple[Piece, ...], i: int) -> bool:
    """Whether text piece `i` may be wrapped in a mark: not where the content model allows no
    phrasing content (directly in a table, row, list...), not between top-level blocks, and not
    whitespace beside a block's tag (between blocks inside a list item or a quotation)."""
    piece = parts[i]
    if piece.depth == 0 or piece.parent in NO_TEXT_INSIDE:
        return False
    if piece.text is None or not piece.text.isspace():
        return True
    return not any(
        0 <= j < len(parts) and parts[j].text is None and _tag_name(parts[j].html) in _BLOCKS
        for j in (i - 1, i + 1)
    )


def _tag_name(tag: str) -> str:
    found = _TAG.match(tag)
    return found.group(2).lower() if found else ""


def _is_void(tag: str) -> bool:
    found = _TAG.match(tag)
    return bool(found) and found.group(2).lower() in _VOID


def _marked(text: str, offset: int, marks: list[Highlight]) -> str:
    cuts = sorted(
        {0, len(text)}
        | {m.start - offset for m in marks if 0 < m.start - offset < len(text)}
        | {m.end - offset for m in marks if 0 < m.end - offset < len(text)}
    )
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        segment = html.escape(text[a:b], quote=False)
        for mark in marks:
            if mark.start <= offset + a and mark.end >= offset + b:
                segment = f'<mark class="anchor" data-thread="{int(mark.key)}">{segment}</mark>'
        out.append(segment)
    return "".join(out)
