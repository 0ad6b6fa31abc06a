"""A rendered text (the pipeline's sanitised HTML) cut into blocks a side-by-side diff can align.

A *block* is the smallest piece of the page that is read on its own: a heading, a paragraph, a
list item (with any list nested in it), a table row, a code block, a term or its definition, a
rule. Each keeps the containers it sat in (`ul`, `ol` with its number, `table`/`thead`/`tbody`,
`blockquote`, `dl`), so drawn alone in a diff cell a list item is still a list item and a table
row is still a table row.

Inside a block, `Item`s in document order: the HTML of the tags (copied from the pipeline's
output, which nh3 has sanitised and the pipeline's own markup extended), the text as tokens
(unescaped; whoever writes them out escapes them again), *atoms* compared as a whole (a citation,
compared by the sources it names rather than by its number, which shifts whenever an earlier
citation is added) and *breaks* between table cells or nested paragraphs, which keep a change
from running from one cell into the next. A glossary tooltip is copied like a tag: it repeats a
definition the "Words explained" list shows, and is not part of the sentence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LEAVES = frozenset({"h2", "h3", "h4", "p", "li", "tr", "pre", "dt", "dd", "hr"})
CONTAINERS = frozenset({"ul", "ol", "table", "thead", "tbody", "blockquote", "dl"})
# Elements whose direct children are elements only: text there is layout whitespace, and a mark
# there would be moved out of the table or list by the browser's parser.
_STRUCTURAL = frozenset({"ul", "ol", "table", "thead", "tbody", "tr", "dl"})
# Opening one of these inside a block separates the text before it from the text after it.
_BREAKS = frozenset({"td", "th", "br", "p", "li", "dt", "dd", "ul", "ol", "pre"})
_VOID = frozenset({"br", "hr"})
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_CITATION = '<sup class="citation"'
_TOOLTIP = '<span class="glossary-tip"'
# What the side-by-side view compares an atom by starts with this, so it is never taken for text
# (and never for a number: a citation is not a clinical change).
ATOM_MARK = "\x00"
_HEADINGS = frozenset({"h2", "h3", "h4"})
_HEADING = re.compile(r"^(</?)h([2-4])\b")
# Tags and the text between them. The pipeline's output escapes "<" in text and in attribute
# values (nh3, and format_html for its own markup), so "<" always opens a tag.
_PIECES = re.compile(r"(<[^>]*>)")
_HREF = re.compile(r'\shref="([^"]*)"')
_IDS = re.compile(r'(\s(?:id|aria-describedby|aria-labelledby)=")|(\shref="#)')
BREAK = "\n"


@dataclass(slots=True)
class Item:
    """One piece of a block: `kind` is "tag", "text", "atom" or "break".

    A text item is a whole text chunk of the HTML (`html` as the pipeline escaped it, `value`
    unescaped); `tokens` cuts it into words when a changed block is diffed word by word.
    """

    kind: str
    value: str  # the unescaped text, the atom's key, BREAK, or a tag's name ("<em", "</em")
    html: str = ""  # the pipeline's HTML of it (ids prefixed, headings shifted); "" for breaks


@dataclass
class Block:
    tag: str
    containers: tuple[str, ...]
    number: int  # a list item's number in its list (1-based), else 0
    items: list[Item] = field(default_factory=list)
    key: str = ""  # set when the block ends, see `_key`
    html: str = ""  # the block drawn alone, in its containers, set when the block ends
    # The reference list's blocks: their numbers are years, pages and PMIDs, never clinical.
    reference: bool = False

    def words(self) -> list[str]:
        return [w for item in self.items if item.kind == "text" for w in item.value.split()]


def blocks_of(
    body_html: str,
    citations: Sequence[Mapping[str, Any]],
    *,
    prefix: str,
    references_heading: str = "",
) -> list[Block]:
    """The blocks of a rendered text, then (if it cites anything) of its numbered references.

    `citations` are the rendition's (`Citation.as_dict()`): their citekeys name what each
    citation number points at, and their HTML is the reference list readers see under the text.
    `prefix` goes before every id (and every link to one) so that several renderings can share
    a page; it must be safe in an attribute (letters, digits, hyphens). Headings move one level
    down, under the page's own heading for the text.
    """
    keys = {str(c["number"]): str(c["citekey"]) for c in citations}
    found = _parse(body_html, keys, prefix)
    if citations and references_heading:
        entries = "".join(f'<li id="ref-{int(c["number"])}">{c["html"]}</li>' for c in citations)
        listed = _parse(
            f"<h2>{html.escape(references_heading)}</h2><ol>{entries}</ol>", keys, prefix
        )
        for block in listed:
            block.reference = True
        found += listed
    return found


def containers_html(block: Block) -> tuple[str, str]:
    """The opening and closing tags of the containers a block is drawn in."""
    opening = "".join(
        f'<ol start="{block.number}">' if name == "ol" and block.number else f"<{name}>"
        for name in block.containers
    )
    return opening, "".join(f"</{name}>" for name in reversed(block.containers))


def _parse(safe_html: str, citation_keys: Mapping[str, str], prefix: str) -> list[Block]:
    parser = _Parser(citation_keys, prefix)
    for chunk in _PIECES.split(safe_html):
        if chunk.startswith("<"):
            parser.tag(chunk)
        elif chunk:
            parser.text(chunk)
    return parser.blocks


class _Parser:
    """Walks the pipeline's HTML once, tags and text in order."""

    def __init__(self, citation_keys: Mapping[str, str], prefix: str) -> None:
        self.citation_keys = citation_keys
        self.prefix = prefix
        self.blocks: list[Block] = []
        # Open containers outside any block, each with how many list items it has had.
        self.containers: list[list[Any]] = []
        self.block: Block | None = None
        self.open: list[str] = []  # elements open inside the current block
        self.atom: Item | None = None
        self.atom_depth = 0

    def tag(self, chunk: str) -> None:
        closing, name = _TAG_NAME.match(chunk).groups()  # type: ignore[union-attr]
        name = name.lower()
        if self.atom is not None:
            self._atom_tag(chunk, closing=bool(closing), name=name)
        elif self.block is not None:
            self._block_tag(chunk, closing=bool(closing), name=name)
        elif name in LEAVES and not closing:
            self._start(chunk, name)
        elif name in CONTAINERS:
            if closing:
                if self.containers and self.containers[-1][0] == name:
                    self.containers.pop()
            else:
                self.containers.append([name, 0])
        # Anything else outside a block (the glossary's <section>, stray closing tags) carries
        # nothing to compare and is left out of the cells.

    def text(self, chunk: str) -> None:
        if self.atom is not None:
            self.atom.html += chunk
            if self.atom.kind == "atom":
                self.atom.value += "".join(
                    f" {self.citation_keys.get(n, n)}" for n in re.findall(r"\d+", chunk)
                )
            return
        if self.block is None:
            if not chunk.strip():
                return
            # Text outside any block (not produced by the Markdown parser) becomes a paragraph.
            self._start("<p>", "p")
            assert self.block is not None
        if not chunk.strip() and self.open and self.open[-1] in _STRUCTURAL:
            self.block.items.append(Item("tag", "", chunk))
            return
        self.block.items.append(Item("text", html.unescape(chunk), chunk))

    def _start(self, chunk: str, name: str) -> None:
        number = 0
        if name == "li" and self.containers:
            self.containers[-1][1] += 1
            number = self.containers[-1][1] if self.containers[-1][0] == "ol" else 0
        containers = tuple(c[0] for c in self.containers)
        self.block = Block(tag=name, containers=containers, number=number)
        self.block.items.append(Item("tag", f"<{name}", self._rewrite(chunk, name)))
        if name in _VOID:
            self._end()
        else:
            self.open = [name]

    def _block_tag(self, chunk: str, *, closing: bool, name: str) -> None:
        assert self.block is not None
        if not closing and chunk.startswith((_CITATION, _TOOLTIP)):
            kind = "atom" if chunk.startswith(_CITATION) else "tag"
            value = f"{ATOM_MARK}cite" if kind == "atom" else ""
            self.atom, self.atom_depth = Item(kind, value, self._rewrite(chunk, name)), 1
            return
        if not closing and name in _BREAKS and len(self.open) > 0:
            self.block.items.append(Item("break", BREAK))
        signature = f"</{name}" if closing else f"<{name}"
        if name == "a" and not closing:
            # A link's target is part of what readers get; an anchor within the page is not
            # (its id differs per rendering).
            href = _HREF.search(chunk)
            signature += f" {href.group(1)}" if href and not href.group(1).startswith("#") else ""
        self.block.items.append(Item("tag", signature, self._rewrite(chunk, name)))
        if name in _VOID:
            return
        if closing:
            if name in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(name) :]
            if not self.open:
                self._end()
        else:
            self.open.append(name)

    def _atom_tag(self, chunk: str, *, closing: bool, name: str) -> None:
        assert self.atom is not None and self.block is not None
        self.atom.html += self._rewrite(chunk, name)
        if name not in _VOID:
            self.atom_depth += -1 if closing else 1
        if self.atom_depth == 0:
            self.block.items.append(self.atom)
            self.atom = None

    def _end(self) -> None:
        block = self.block
        assert block is not None
        # Tag names are in the key (not their attributes, which carry the ids the pipeline
        # numbers; a link's target aside), so a phrase newly emphasised or a link pointed
        # elsewhere makes the block changed though no word did.
        block.key = "\x1f".join([block.tag, *block.containers, *(i.value for i in block.items)])
        opening, closing = containers_html(block)
        block.html = opening + "".join(item.html for item in block.items) + closing
        self.blocks.append(block)
        self.block, self.open = None, []

    def _rewrite(self, tag_html: str, name: str) -> str:
        """A tag of the pipeline's as drawn in a diff cell: ids prefixed, headings shifted."""
        if name in _HEADINGS:
            tag_html = _HEADING.sub(lambda m: f"{m.group(1)}h{int(m.group(2)) + 1}", tag_html)
        if '="' in tag_html:
            tag_html = _IDS.sub(lambda m: m.group(0) + self.prefix, tag_html)
        return tag_html
