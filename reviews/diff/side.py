"""The side-by-side diff: one audience's text as readers get it, old beside new, words marked.

Both versions are rendered by the readers' pipeline (Markdown -> nh3 -> numbered citations ->
glossary) and cut into blocks (`blocks`). Blocks are aligned with difflib over their text; in a
run of changed blocks each old block is paired with the next new one of the same kind that reads
alike, so a lightly edited paragraph sits beside its new wording and a deleted one beside an
empty cell. Inside a pair the words are aligned sentence by sentence, then token by token
(`tokens.align`, as the source diff does line by line), and each change is drawn as `<del>` in
the old column and `<ins>` in the new one, named and counted when it is clinical (`clinical`).

What stays and what does not: a block keeps its element (a heading stays a heading, a list item
a list item in a list with its number, a table row a row) and its inline markup (emphasis,
links, citations, glossary terms), because marks are laid between the pipeline's own tags rather
than around them: a change that crosses a tag boundary is drawn as several marks, one on each
side of the tag. Only text is marked, so a change of formatting alone (a word newly bold, a
link's target) moves no word; the row is then flagged "formatting changed" with nothing marked. Ids the pipeline
gives (citation anchors, glossary tooltips) are prefixed per column, so two renderings of the
same text on one page do not share ids.

Safety: tags and atoms come from the pipeline's sanitised output and are copied unchanged (but
for that id prefix, built from a version number and an audience key the caller checked);
every text token is escaped again on the way out; the only other markup is the fixed markup
written here. Nothing from the author reaches the page unescaped.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import accumulate
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.doses import dose_spans
from reviews.diff.blocks import ATOM_MARK, Block, Item, blocks_of, containers_html
from reviews.diff.clinical import Clinical, count_summary, describe
from reviews.diff.tokens import Budget, align, merge, sentences, tokenize

# Two blocks in a changed run read alike when this share of their words is common to both.
_ALIKE = 0.5


@dataclass(frozen=True)
class Side:
    """One version's rendering of one audience's text (None: the version has no such text)."""

    version: int
    body_html: str
    citations: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Row:
    """One aligned pair of blocks. `state`: same, changed, format, deleted or inserted."""

    state: str
    old_html: SafeString
    new_html: SafeString


@dataclass
class AudienceSide:
    """One audience's side-by-side diff, with its clinical changes counted by kind."""

    audience: str
    label: str
    old_version: int
    new_version: int
    rows: list[Row] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any(row.state != "same" for row in self.rows)

    @property
    def clinical_total(self) -> int:
        return sum(self.counts.values())

    @property
    def table_rows(self) -> SafeString:
        """The rows as table rows, old cell then new: built here rather than in a template loop,
        which took longer than the diff itself on long texts (a few hundred rows a text)."""
        old_label, new_label = f"Version {self.old_version}", f"Version {self.new_version}"
        notes = {
            "inserted": (f"Not in version {self.old_version}", ""),
            "deleted": ("", f"Removed in version {self.new_version}"),
            "format": ("", "Formatting changed"),
        }
        out = []
        for row in self.rows:
            old_note, new_note = notes.get(row.state, ("", ""))
            out.append(
                f'<tr class="diff-row diff-row-{row.state}">'
                f'<td class="diff-old" data-version="{old_label}">{row.old_html}{_note(old_note)}</td>'
                f'<td class="diff-new" data-version="{new_label}">{row.new_html}{_note(new_note)}</td>'
                "</tr>\n"
            )
        # Safe: the cells are safe (see `_draw`), states and labels are fixed text and numbers.
        return mark_safe("".join(out))

    @property
    def summary(self) -> str:
        """'3 clinical changes: 2 doses, 1 negation', or '' when none is clinical."""
        return count_summary(self.counts)


def _note(text: str) -> str:
    return f'<p class="diff-note">{text}</p>' if text else ""


def side_by_side(
    *,
    audience: str,
    label: str,
    old: Side | None,
    new: Side | None,
    old_version: int,
    new_version: int,
) -> AudienceSide:
    """Align and mark one audience's two renderings (either may be missing: added or removed)."""
    # The key is checked against the configured audiences on every write; the id prefix keeps
    # only characters an id may hold all the same, since it is written into tags unescaped.
    safe_key = re.sub(r"[^A-Za-z0-9_-]", "", audience)
    old_blocks = _blocks(old, prefix=f"v{old_version}-{safe_key}-")
    new_blocks = _blocks(new, prefix=f"v{new_version}-{safe_key}-")
    result = AudienceSide(
        audience=audience, label=label, old_version=old_version, new_version=new_version
    )
    budget = Budget()
    for before, after in _aligned(old_blocks, new_blocks):
        result.rows.append(_row(before, after, result.counts, budget))
    return result


def _blocks(side: Side | None, *, prefix: str) -> list[Block]:
    if side is None:
        return []
    return blocks_of(side.body_html, side.citations, prefix=prefix, references_heading="References")


def _aligned(olds: list[Block], news: list[Block]) -> Iterator[tuple[Block | None, Block | None]]:
    matcher = SequenceMatcher(None, [b.key for b in olds], [b.key for b in news], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(olds[i1:i2], news[j1:j2], strict=True)
        else:
            yield from _paired(olds[i1:i2], news[j1:j2])


def _paired(olds: list[Block], news: list[Block]) -> Iterator[tuple[Block | None, Block | None]]:
    """Pair a run of changed blocks in order: alike blocks side by side, the rest alone.

    Greedy and linear: looking one block ahead on either side finds an inserted or deleted
    block between two edited ones, which is how texts are edited; anything cleverer costs more
    than the pages it would improve.
    """
    i = j = 0
    while i < len(olds) and j < len(news):
        if _alike(olds[i], news[j]):
            yield olds[i], news[j]
            i, j = i + 1, j + 1
        elif j + 1 < len(news) and _alike(olds[i], news[j + 1]):
            yield None, news[j]
            j += 1
        elif i + 1 < len(olds) and _alike(olds[i + 1], news[j]):
            yield olds[i], None
            i += 1
        elif _same_place(olds[i], news[j]):
            yield olds[i], news[j]  # rewritten in place: still the same block of the page
            i, j = i + 1, j + 1
        else:
            yield olds[i], None
            yield None, news[j]
            i, j = i + 1, j + 1
    for block in olds[i:]:
        yield block, None
    for block in news[j:]:
        yield None, block


def _same_place(old: Block, new: Block) -> bool:
    """The same kind of block in the same kind of container, both text or both references."""
    return (old.tag, old.containers, old.reference) == (new.tag, new.containers, new.reference)


def _alike(old: Block, new: Block) -> bool:
    if not _same_place(old, new):
        return False
    return SequenceMatcher(None, old.words(), new.words(), autojunk=False).quick_ratio() >= _ALIKE


def _row(old: Block | None, new: Block | None, counts: Counter[str], budget: Budget) -> Row:
    if old is not None and new is not None and old.key == new.key:
        # Safe: the block's HTML is the sanitised pipeline's (see `blocks`).
        return Row("same", mark_safe(old.html), mark_safe(new.html))
    old_items = _expanded(old)
    new_items = _expanded(new)
    old_values = [item.value for item in old_items if item.kind != "tag"]
    new_values = [item.value for item in new_items if item.kind != "tag"]
    units = (sentences(old_values), sentences(new_values))
    hunks = [
        h
        for h in merge(align(*units, old_values, new_values, budget), old_values, new_values)
        if h.changed
    ]
    old_marks: dict[int, tuple[int, Clinical | None]] = {}
    new_marks: dict[int, tuple[int, Clinical | None]] = {}
    doses = (_Doses(old_values), _Doses(new_values))
    references = (old if old is not None else new).reference  # type: ignore[union-attr]
    for number, hunk in enumerate(hunks):
        clinical = (
            None
            if references
            else describe(
                removed=[t for t in hunk.removed if not t.startswith(ATOM_MARK)],
                inserted=[t for t in hunk.inserted if not t.startswith(ATOM_MARK)],
                in_dose=lambda hunk=hunk: (
                    doses[0].touched(hunk.i1, hunk.i2) or doses[1].touched(hunk.j1, hunk.j2)
                ),
            )
        )
        if clinical is not None:
            counts[clinical.kind] += 1
        # A side that only lost or gained whitespace has nothing to see: it gets no mark.
        if not _blank(old_values[hunk.i1 : hunk.i2]):
            old_marks.update(dict.fromkeys(range(hunk.i1, hunk.i2), (number, clinical)))
        if not _blank(new_values[hunk.j1 : hunk.j2]):
            new_marks.update(dict.fromkeys(range(hunk.j1, hunk.j2), (number, clinical)))
    state = "deleted" if new is None else "inserted" if old is None else "changed"
    if state == "changed" and not (old_marks or new_marks):
        state = "format"  # no word changed: emphasis, a link's target, or spacing
    return Row(
        state,
        _draw(old, old_items, old_marks, "del") if old else mark_safe(""),
        _draw(new, new_items, new_marks, "ins") if new else mark_safe(""),
    )


def _blank(values: list[str]) -> bool:
    return all(value.isspace() for value in values)


def _expanded(block: Block | None) -> list[Item]:
    """The block's items with each text chunk cut into word tokens, for the word diff."""
    if block is None:
        return []
    items: list[Item] = []
    for item in block.items:
        if item.kind == "text":
            items += [Item("text", token) for token in tokenize(item.value)]
        else:
            items.append(item)
    return items


class _Doses:
    """Where a block's text states doses, worked out only if a change might touch one."""

    def __init__(self, values: list[str]) -> None:
        self.values = values
        self.offsets: list[int] = []
        self.spans: list[tuple[int, int]] = []

    def touched(self, first: int, last: int) -> bool:
        """Whether compared values [first, last) overlap a dose statement or quantity."""
        if first == last:
            return False
        if not self.offsets:
            shown = [" " if v.startswith(ATOM_MARK) else v for v in self.values]
            self.offsets = list(accumulate((len(v) for v in shown), initial=0))
            self.spans = dose_spans("".join(shown))
        start, end = self.offsets[first], self.offsets[last]
        return any(a < end and start < b for a, b in self.spans)


def _draw(
    block: Block,
    items: list[Item],
    marks: Mapping[int, tuple[int, Clinical | None]],
    element: str,
) -> SafeString:
    """The block's HTML in its containers, with `element` (del/ins) around each marked run.

    A run is closed before any tag and opened again after it, so marks never straddle the
    pipeline's elements; the first piece of each change says what it is to a screen reader.
    """
    opening, closing = containers_html(block)
    out: list[str] = [opening]
    text: list[str] = []  # text of the current run, escaped once when the run ends
    open_mark: int | None = None
    announced: set[int] = set()
    position = 0
    for item in items:
        mark = None
        if item.kind != "tag":
            mark = marks.get(position)
            position += 1
        if item.kind == "text" and (mark[0] if mark else None) == open_mark:
            text.append(item.value)
            continue
        out.append(html.escape("".join(text), quote=False))
        text = []
        if open_mark is not None:
            out.append(f"</{element}>")
            open_mark = None
        if mark is not None and item.kind != "break":
            number, clinical = mark
            out.append(_opening(element, clinical, announce=number not in announced))
            announced.add(number)
            open_mark = number
        if item.kind == "text":
            text.append(item.value)
        else:
            out.append(item.html)
    out.append(html.escape("".join(text), quote=False))
    if open_mark is not None:
        out.append(f"</{element}>")
    out.append(closing)
    # Safe: tags are the sanitised pipeline's, text is escaped above, the rest is fixed markup.
    return mark_safe("".join(out))


def _opening(element: str, clinical: Clinical | None, *, announce: bool) -> str:
    verb = "deleted" if element == "del" else "inserted"
    if clinical is None:
        attrs = f'class="diff-{element}"'
        said = f"{verb}: "
    else:
        description = escape(clinical.description)
        attrs = (
            f'class="diff-{element} clinical" data-clinical="{clinical.kind}" title="{description}"'
        )
        said = f"{verb}, {description.lower()}: "
    hidden = f'<span class="visually-hidden">{said}</span>' if announce else ""
    return f"<{element} {attrs}>{hidden}"
