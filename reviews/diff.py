"""Word-level diffs between two versions of an article, with clinically significant changes flagged.

A medical reviewer compares what they signed with what they are asked to sign now. The diff is
computed on tokens (words, numbers, whitespace, single punctuation characters) with
`difflib.SequenceMatcher`, so whitespace survives into the output and a changed dose shows as one
changed token ("15-30" -> "150-300") rather than as scattered characters. Neighbouring changes are
merged so an edit reads as one phrase. A change is *clinical* when a token it actually removes or
inserts is a number, a dose unit or frequency, a negation/prohibition, or a bound (more/less,
before/after, < >); those are drawn with a warning flag so they cannot be skimmed past.

The input is untrusted Markdown; every piece of it goes through `django.utils.html.escape`, and
the only markup in `TextDiff.html` is the fixed markup written here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.doses import DOSE_WORDS, NUMBER

if TYPE_CHECKING:
    from articles.models import HistoricalArticle

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
_TOKEN = re.compile(rf"\s+|{_NUMBER}|{_WORD}|.", re.DOTALL)
# One line with its line break; the last line may have none.
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

# Words that turn a sentence into its opposite or forbid what it describes.
_NEGATIONS = frozenset(
    {
        "not", "no", "never", "none", "nor", "neither", "nothing",
        "cannot", "can't", "don't", "doesn't", "didn't", "won't", "mustn't", "shouldn't",
        "isn't", "aren't", "wasn't", "weren't", "needn't",
        "avoid", "avoids", "avoided", "avoiding", "avoidance",
        "stop", "stops", "stopped", "stopping",
        "discontinue", "discontinues", "discontinued", "discontinuing",
        "contraindicated", "contraindication", "contraindications", "contra-indicated",
        "without", "unless", "except", "forbidden", "prohibited", "refrain",
    }
)  # fmt: skip

# Dose units, dosage forms, frequencies and durations: the dose recogniser's vocabulary, so a
# change to any word a dose statement is made of is flagged.
_UNITS = DOSE_WORDS

# Numbers written as words: "take one tablet" -> "take two tablets" is a dose change.
_NUMBER_WORDS = frozenset(
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
        "eighty", "ninety", "hundred", "thousand", "million", "half", "halves", "quarter",
        "quarters", "third", "double", "triple", "single",
    }
)  # fmt: skip

# Words and symbols that bound a quantity or order it in time: "no more than 4 g" -> "no less
# than 4 g" or "before meals" -> "after meals" changes no number, unit or negation, yet reverses
# the instruction.
_COMPARISONS = frozenset(
    {
        "more", "less", "fewer", "greater", "higher", "lower", "above", "below", "over", "under",
        "exceed", "exceeds", "exceeded", "exceeding", "maximum", "minimum", "max", "min",
        "least", "most", "before", "after",
        # "=" and "~" are left out: Markdown uses them for headings and strikethrough.
        "<", ">", "≤", "≥", "±", "≈",
    }
)  # fmt: skip

# Reasons in the order they are reported.
_REASONS = ("number", "unit", "negation", "comparison")

_FLAG_LABEL = "clinical change"


@dataclass(frozen=True)
class Change:
    """One contiguous edit: the text removed, the text added, and whether it is clinical."""

    kind: str  # "insert" | "delete" | "replace"
    old: str
    new: str
    clinical: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TextDiff:
    """The diff of one text (an audience's Markdown or a plain field), as changes and as HTML."""

    audience: str
    html: str
    changes: list[Change]

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def clinical_changes(self) -> list[Change]:
        return [change for change in self.changes if change.clinical]


def diff_texts(old: str, new: str, *, audience: str = "") -> TextDiff:
    """Diff two versions of one text word by word.

    `audience` only labels the result (an audience key, or a field name via `diff_fields`).
    """
    # A browser textarea submits CRLF; a version that differs only in line endings has not been
    # edited, and flagging every line would hide the edits that matter.
    old_lines = _lines(old.replace("\r\n", "\n"))
    new_lines = _lines(new.replace("\r\n", "\n"))
    old_tokens = [token for line in old_lines for token in line]
    new_tokens = [token for line in new_lines for token in line]
    hunks = _merge(_align(old_lines, new_lines, old_tokens, new_tokens), old_tokens, new_tokens)

    html: list[str] = []
    changes: list[Change] = []
    for hunk in hunks:
        old_text = "".join(old_tokens[hunk.i1 : hunk.i2])
        if not hunk.changed:
            html.append(escape(old_text))
            continue
        change = _change(hunk, old_text, "".join(new_tokens[hunk.j1 : hunk.j2]))
        changes.append(change)
        html.append(_render(change))
    # Safe because every piece of input went through escape() above or in _render.
    return TextDiff(audience=audience, html=mark_safe("".join(html)), changes=changes)


def diff_versions(old_texts: Mapping[str, str], new_texts: Mapping[str, str]) -> list[TextDiff]:
    """Diff every audience's text between two versions, sorted by audience key.

    An audience present in only one version is diffed against the empty text, so an added
    audience is one insertion and a removed one is one deletion.
    """
    return _diff_mapping(old_texts, new_texts)


def plain_fields(version: HistoricalArticle) -> dict[str, str]:
    """The one-line and list fields of a version (article or history row) a reviewer must see
    change: title, summary and the listed sources (one key a line)."""
    return {
        "title": version.title,
        "summary": version.summary,
        "sources consulted": "\n".join(getattr(version, "sources", None) or ()),
    }


def diff_fields(old: Mapping[str, str], new: Mapping[str, str]) -> list[TextDiff]:
    """Diff plain fields (title, summary...) between two versions, sorted by field name.

    Each result's `audience` holds the field name.
    """
    return _diff_mapping(old, new)


def _diff_mapping(old: Mapping[str, str], new: Mapping[str, str]) -> list[TextDiff]:
    return [
        diff_texts(old.get(key, ""), new.get(key, ""), audience=key)
        for key in sorted(old.keys() | new.keys())
    ]


@dataclass
class _Hunk:
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


def _lines(text: str) -> list[tuple[str, ...]]:
    """The text as lines (each keeping its line break), each line as its tokens."""
    return [tuple(_TOKEN.findall(line)) for line in _LINE.findall(text)]


def _align(
    old_lines: list[tuple[str, ...]],
    new_lines: list[tuple[str, ...]],
    old_tokens: list[str],
    new_tokens: list[str],
) -> list[_Hunk]:
    """Match lines first, then tokens within each run of changed lines.

    Token matching costs about the square of the text's length, since the space token occurs
    everywhere; matching lines first keeps the token pass to the edited paragraphs, so a long
    article with a few edits diffs in milliseconds instead of seconds. autojunk is off in both
    passes: it would treat the commonest items (blank lines, the single space) as junk in
    anything over 200 of them, which breaks the alignment of every ordinary article.
    """
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    hunks: list[_Hunk] = []
    lines = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for line_tag, i1, i2, j1, j2 in lines.get_opcodes():
        a1, a2, b1, b2 = old_starts[i1], old_starts[i2], new_starts[j1], new_starts[j2]
        if line_tag != "replace":
            _append(hunks, line_tag != "equal", a1, a2, b1, b2, old_tokens, new_tokens)
            continue
        tokens = SequenceMatcher(None, old_tokens[a1:a2], new_tokens[b1:b2], autojunk=False)
        for tag, k1, k2, m1, m2 in tokens.get_opcodes():
            _append(
                hunks, tag != "equal", a1 + k1, a1 + k2, b1 + m1, b1 + m2, old_tokens, new_tokens
            )
    return hunks


def _starts(lines: list[tuple[str, ...]]) -> list[int]:
    """The index of each line's first token in the whole text's tokens, and the total at the end."""
    return list(accumulate((len(line) for line in lines), initial=0))


def _append(
    hunks: list[_Hunk],
    changed: bool,
    i1: int,
    i2: int,
    j1: int,
    j2: int,
    old_tokens: list[str],
    new_tokens: list[str],
) -> None:
    """Add a hunk, extending the previous one when both are changed or both unchanged.

    Keeping changed and unchanged hunks alternating is what `_merge` relies on; the line pass
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
        hunks.append(_Hunk(changed, i1, i2, j1, j2, removed, inserted))


def _merge(hunks: list[_Hunk], old_tokens: list[str], new_tokens: list[str]) -> list[_Hunk]:
    """Join two changes when the unchanged run between them has no more words than either.

    The rule is diff-match-patch's semantic cleanup counted in words: "15-30 mg daily" ->
    "150 mg weekly" reads as one replaced phrase, while two edits far apart stay two changes.
    An unchanged run holding a line break is never absorbed, so a change does not straddle
    paragraphs.
    """
    # Hunks alternate (see `_append`): two changes always have an unchanged run between them.
    merged: list[_Hunk] = []
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


def _absorb(merged: list[_Hunk]) -> None:
    """Replace the last three hunks (change, unchanged, change) with one change spanning them."""
    parts = merged[-3:]
    del merged[-3:]
    merged.append(
        _Hunk(
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
    equal: _Hunk, left: _Hunk, right: _Hunk, old_tokens: list[str], new_tokens: list[str]
) -> bool:
    between = old_tokens[equal.i1 : equal.i2]
    if any("\n" in token for token in between):
        return False
    size = _words(between)
    return size <= _change_words(left, old_tokens, new_tokens) and size <= _change_words(
        right, old_tokens, new_tokens
    )


def _change_words(hunk: _Hunk, old_tokens: list[str], new_tokens: list[str]) -> int:
    return max(_words(old_tokens[hunk.i1 : hunk.i2]), _words(new_tokens[hunk.j1 : hunk.j2]))


def _words(tokens: list[str]) -> int:
    # Whitespace and punctuation cost nothing: changes separated only by them always merge.
    return sum(1 for token in tokens if token[0].isalnum())


def _change(hunk: _Hunk, old_text: str, new_text: str) -> Change:
    if not old_text:
        kind = "insert"
    elif not new_text:
        kind = "delete"
    else:
        kind = "replace"
    reasons = _clinical_reasons([*hunk.removed, *hunk.inserted])
    return Change(kind=kind, old=old_text, new=new_text, clinical=bool(reasons), reasons=reasons)


def _clinical_reasons(tokens: list[str]) -> tuple[str, ...]:
    found: set[str] = set()
    for token in tokens:
        found.update(_token_reasons(token))
    return tuple(reason for reason in _REASONS if reason in found)


def _token_reasons(token: str) -> set[str]:
    lowered = token.casefold().replace("’", "'")
    # Compound tokens are judged by their parts too: "mg/kg", "once-daily", "contra-indicated".
    words = {lowered, *re.split(r"[-/]", lowered)}
    reasons: set[str] = set()
    # isnumeric, not isdigit, so vulgar fractions ("½") and superscripts count as numbers.
    if any(char.isnumeric() for char in token) or words & _NUMBER_WORDS:
        reasons.add("number")
    if words & _UNITS:
        reasons.add("unit")
    if words & _NEGATIONS or lowered.endswith("n't"):
        reasons.add("negation")
    if words & _COMPARISONS:
        reasons.add("comparison")
    return reasons


def _render(change: Change) -> SafeString:
    if change.clinical:
        title = escape(f"Clinical change: {', '.join(change.reasons)}")
        extra_class = " diff-clinical"
        attrs = f' title="{title}"'
        # role="img" makes the aria-label part of the accessibility tree; on a bare span it is
        # ignored by most screen readers, and <del>/<ins> themselves are rarely announced.
        flag = f'<span class="diff-flag" role="img" aria-label="{_FLAG_LABEL}"{attrs}>⚠</span>'
    else:
        extra_class = attrs = flag = ""
    html = flag
    if change.old:
        html += f'<del class="diff-del{extra_class}"{attrs}>{escape(change.old)}</del>'
    if change.new:
        html += f'<ins class="diff-ins{extra_class}"{attrs}>{escape(change.new)}</ins>'
    return mark_safe(html)
