"""Tokens and hunks: the word-level alignment both diffs (source and side by side) are built on.

Text is cut into tokens (words, numbers, whitespace runs, single punctuation characters) and the
tokens into *units* (lines of the source, sentences of a rendered block). `align` matches units
first and tokens only inside runs of changed units, and `merge` joins neighbouring changes so an
edit reads as one phrase. Pure functions, no HTML: the callers decide how a hunk is drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate

from articles.doses import NUMBER

# One number ("15-30", "0.50-0.75", "1/2", "1,600") is kept as one token, so that "15-30" ->
# "150-300" is a single replaced token, not a diff of digits that happen to match; the pattern is
# the dose recogniser's (articles.doses), so both read numbers the same way.
_NUMBER = NUMBER
# One word, letters and digits, joined by hyphens, slashes and apostrophes ("don't", "shouldn’t",
# "mg/kg", "contra-indicated"). Underscore is left out so Markdown emphasis (`_not_`) stays apart
# from the word it wraps.
_WORD = r"[^\W_]+(?:[-/'’][^\W_]+)*"
# Whitespace runs are tokens of their own so the output reproduces the input exactly; anything
# else (punctuation, symbols, emoji) is one character per token.
TOKEN = re.compile(rf"\s+|{_NUMBER}|{_WORD}|.", re.DOTALL)
_SENTENCE_END = frozenset({".", "!", "?", ";", ":"})
# One line with its line break; the last line may have none.
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

# The token pass costs about the product of the two runs' lengths (token pairs), with the space
# token matching everywhere: measured on a loaded 2-core machine, 500-700 ns a pair, or 80-200 ns
# when whitespace is left out of the match anchors (`_space` as difflib's junk). A run up to
# EXACT_PAIRS is matched exactly; a longer one with whitespace as junk (a space may then attach
# to the other side of a changed word); and once a diff has spent its budget of pairs, each further
# changed run is one replacement, as a wholesale rewrite reads anyway. So the worst text costs
# a fixed fraction of a second, and an ordinary edit is far below the budget.
EXACT_PAIRS = 40_000
MAX_TOKEN_PAIRS = 500_000
# What an exactly matched pair costs against the budget, in junk-mode pairs.
_EXACT_COST = 8


@dataclass
class Budget:
    """Token pairs one diff may still match; shared by the block pairs of a side-by-side diff."""

    pairs: int = MAX_TOKEN_PAIRS
    exact_pairs: int = EXACT_PAIRS


@dataclass
class Hunk:
    """A run of old tokens [i1, i2) against new tokens [j1, j2), and which of them really changed.

    Merging absorbs short unchanged runs into a change for readability; `removed` and `inserted`
    keep only the tokens the matcher found different, so an unchanged number swept into a merged
    change does not make it clinical.
    """

    changed: bool
    i1: int
    i2: int
    j1: int
    j2: int
    removed: list[str]
    inserted: list[str]


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def lines(text: str) -> list[tuple[str, ...]]:
    """The text as units for `align`: its lines (each keeping its line break), each line cut
    into sentences, each unit as its tokens. Concatenated, the units are the text's tokens."""
    return [unit for line in _LINE.findall(text) for unit in sentences(TOKEN.findall(line))]


def sentences(tokens: list[str]) -> list[tuple[str, ...]]:
    """Tokens cut into sentences: after whitespace that follows . ! ? ; or :, and after any
    whitespace holding a line break. A long paragraph is then matched sentence by sentence
    first, and word by word only inside the sentences that changed."""
    units: list[tuple[str, ...]] = []
    start = 0
    for index, token in enumerate(tokens):
        if token.isspace() and (
            "\n" in token or (index > 0 and tokens[index - 1] in _SENTENCE_END)
        ):
            units.append(tuple(tokens[start : index + 1]))
            start = index + 1
    if start < len(tokens):
        units.append(tuple(tokens[start:]))
    return units


def align(
    old_units: list[tuple[str, ...]],
    new_units: list[tuple[str, ...]],
    old_tokens: list[str],
    new_tokens: list[str],
    budget: Budget | None = None,
) -> list[Hunk]:
    """Match units (lines, sentences) first, then tokens within each run of changed units.

    Token matching costs about the square of the text's length, since the space token occurs
    everywhere; matching units first keeps the token pass to the edited paragraphs, so a long
    article with a few edits diffs in milliseconds instead of seconds. autojunk is off in both
    passes: it would treat the commonest items (blank lines, the single space) as junk in
    anything over 200 of them, which breaks the alignment of every ordinary article.
    `old_tokens` and `new_tokens` are the units' tokens, concatenated; `budget` bounds the
    token pass (see MAX_TOKEN_PAIRS), a fresh one per call unless shared.
    """
    budget = budget if budget is not None else Budget()
    old_starts = _starts(old_units)
    new_starts = _starts(new_units)
    hunks: list[Hunk] = []
    matched = SequenceMatcher(None, old_units, new_units, autojunk=False)
    for unit_tag, i1, i2, j1, j2 in matched.get_opcodes():
        a1, a2, b1, b2 = old_starts[i1], old_starts[i2], new_starts[j1], new_starts[j2]
        pairs = (a2 - a1) * (b2 - b1)
        exact = pairs <= budget.exact_pairs
        cost = pairs * _EXACT_COST if exact else pairs
        if unit_tag != "replace" or cost > budget.pairs:
            _append(hunks, unit_tag != "equal", a1, a2, b1, b2, old_tokens, new_tokens)
            continue
        budget.pairs -= cost
        junk = None if exact else _space
        tokens = SequenceMatcher(junk, old_tokens[a1:a2], new_tokens[b1:b2], autojunk=False)
        for tag, k1, k2, m1, m2 in tokens.get_opcodes():
            _append(
                hunks, tag != "equal", a1 + k1, a1 + k2, b1 + m1, b1 + m2, old_tokens, new_tokens
            )
    return hunks


def _space(token: str) -> bool:
    return token.isspace()


def _starts(units: list[tuple[str, ...]]) -> list[int]:
    """The index of each unit's first token in the whole text's tokens, and the total at the end."""
    return list(accumulate((len(unit) for unit in units), initial=0))


def _append(
    hunks: list[Hunk],
    changed: bool,
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    old_tokens: list[str],
    new_tokens: list[str],
) -> None:
    """Add a hunk, extending the previous one when both are changed or both unchanged.

    Keeping changed and unchanged hunks alternating is what `merge` relies on; the unit pass
    and the token pass can otherwise leave two unchanged hunks side by side.
    """
    if i1 == i2 and j1 == j2:
        return
    removed = old_tokens[i1:i2] if changed else []
    inserted = new_tokens[j1:j2] if changed else []
    if hunks and hunks[-1].changed == changed:
        last = hunks[-1]
        last.i2, last.j2 = i2, j2
        last.removed += removed
        last.inserted += inserted
    else:
        hunks.append(Hunk(changed, i1, i2, j1, j2, removed, inserted))


def merge(hunks: list[Hunk], old_tokens: list[str], new_tokens: list[str]) -> list[Hunk]:
    """Join two changes when the unchanged run between them has no more words than either.

    The rule is diff-match-patch's semantic cleanup counted in words: "15-30 mg daily" ->
    "150 mg weekly" reads as one replaced phrase, while two edits far apart stay two changes.
    An unchanged run holding a line break is never absorbed, so a change does not straddle
    paragraphs (or, side by side, table cells).
    """
    # Hunks alternate (see `_append`): two changes always have an unchanged run between them.
    merged: list[Hunk] = []
    for hunk in hunks:
        merged.append(hunk)
        # Looping lets a change that has just grown absorb the run before it as well.
        while (
            len(merged) >= 3
            and merged[-1].changed
            and merged[-3].changed
            and _absorbable(merged[-2], merged[-3], merged[-1], old_tokens, new_tokens)
        ):
            _absorb(merged)
    return merged


def _absorb(merged: list[Hunk]) -> None:
    """Replace the last three hunks (change, unchanged, change) with one change spanning them."""
    parts = merged[-3:]
    del merged[-3:]
    merged.append(
        Hunk(
            True,
            parts[0].i1,
            parts[-1].i2,
            parts[0].j1,
            parts[-1].j2,
            [token for part in parts for token in part.removed],
            [token for part in parts for token in part.inserted],
        )
    )


def _absorbable(
    equal: Hunk, left: Hunk, right: Hunk, old_tokens: list[str], new_tokens: list[str]
) -> bool:
    between = old_tokens[equal.i1 : equal.i2]
    if any("\n" in token for token in between):
        return False
    size = _words(between)
    return size <= _change_words(left, old_tokens, new_tokens) and size <= _change_words(
        right, old_tokens, new_tokens
    )


def _change_words(hunk: Hunk, old_tokens: list[str], new_tokens: list[str]) -> int:
    return max(_words(old_tokens[hunk.i1 : hunk.i2]), _words(new_tokens[hunk.j1 : hunk.j2]))


def _words(tokens: list[str]) -> int:
    # Whitespace and punctuation cost nothing: changes separated only by them always merge.
    return sum(1 for token in tokens if token[0].isalnum())
