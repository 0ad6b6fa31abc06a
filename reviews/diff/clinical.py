"""Which edits are clinical: a changed number, dose, unit or frequency, negation or bound.

One recogniser for both diffs. A token is clinical when it is a number (digits or a number
word), a dose unit, dosage form or frequency (the dose recogniser's vocabulary, articles.doses),
a negation or prohibition, or a word or symbol that bounds a quantity or orders it in time
("before meals"; not "before you start", see `_timing_changed`). A changed number or frequency
inside a dose statement, a dosed quantity or a regimen ("every 8 hours" -> "every 6 hours",
"twice daily" -> "once daily") is a changed dose: articles.doses.dose_spans says where those are. The
side-by-side view also names each change for the reviewer ("dose changed", "negation removed"):
`describe` gives that name and the kind it is counted under.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from articles.doses import DOSE_WORDS

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
        "least", "most",
        # "=" and "~" are left out: Markdown uses them for headings and strikethrough.
        "<", ">", "≤", "≥", "±", "≈",
    }
)  # fmt: skip

# "before" and "after" order a dose in time only beside what a dose is timed by (a meal, bed, a
# number, a dose word: "before meals", "after 3 days") or when they replace another timing
# ("with meals" -> "before meals"); "Ask your doctor before you start" moves nothing in time.
_TEMPORAL = frozenset({"before", "after"})
_TIMED_BY = frozenset(
    {
        "meal", "meals", "food", "eating", "eat", "breakfast", "lunch", "dinner", "supper",
        "bed", "bedtime", "sleep", "sleeping", "waking", "feed", "feeds", "feeding", "milk",
        "exercise", "surgery", "procedure", "dialysis", "chemotherapy", "antacids",
    }
)  # fmt: skip
_TIMINGS = _TEMPORAL | _TIMED_BY | {"with", "during", "until", "while", "within", "at", "on"}
# How many words after "before"/"after" may name what it times.
_TIMED_WITHIN = 3

# Reasons in the order they are reported.
REASONS = ("number", "unit", "negation", "comparison")

# What a clinical change is counted as, most serious first, with its singular and plural names.
KINDS: dict[str, tuple[str, str]] = {
    "dose": ("dose", "doses"),
    "negation": ("negation", "negations"),
    "number": ("number", "numbers"),
    "unit": ("unit or frequency", "units or frequencies"),
    "comparison": ("limit or timing", "limits or timings"),
}


@dataclass(frozen=True)
class Clinical:
    """How one change is counted (`kind`, a key of KINDS) and what the reviewer is told."""

    kind: str
    description: str


def clinical_reasons(removed: Sequence[str], inserted: Sequence[str] = ()) -> tuple[str, ...]:
    """The reasons (in REASONS order) any of a change's removed or inserted tokens is clinical."""
    found: set[str] = set()
    for token in (*removed, *inserted):
        found.update(_token_reasons(token))
    if "comparison" not in found and (
        _timing_changed(removed, inserted) or _timing_changed(inserted, removed)
    ):
        found.add("comparison")
    return tuple(reason for reason in REASONS if reason in found)


def _timing_changed(side: Sequence[str], other: Sequence[str]) -> bool:
    """Whether a "before"/"after" on this side of a change moves a dose in time."""
    words = [token.casefold() for token in side if not token.isspace()]
    for index, word in enumerate(words):
        if word not in _TEMPORAL:
            continue
        following = words[index + 1 : index + 1 + _TIMED_WITHIN]
        if any(_timed(later) for later in following):
            return True
        if any(token.casefold() in _TIMINGS for token in other):
            return True
    return False


def _timed(word: str) -> bool:
    return word in _TIMED_BY or "number" in _token_reasons(word) or word in _UNITS


def describe(
    *, removed: list[str], inserted: list[str], in_dose: Callable[[], bool]
) -> Clinical | None:
    """Name one change, or None when it is not clinical.

    `in_dose()` says the change touches a dose statement or quantity ("15 mg", "1 tablet twice
    daily"; see articles.doses.dose_spans): a changed number, unit or frequency there is a
    changed dose. A negation is told apart by direction (added, removed, changed), since "do
    not take" becoming "take" is the edit a reviewer must never miss.
    """
    reasons = clinical_reasons(removed, inserted)
    if not reasons:
        return None
    verb = "added" if not removed else "removed" if not inserted else "changed"
    dose = bool({"number", "unit"} & set(reasons)) and in_dose()
    parts = [f"dose {verb}"] if dose else []
    if "negation" in reasons:
        was, now = _has_negation(removed), _has_negation(inserted)
        parts.append(
            "negation changed" if was and now else "negation removed" if was else "negation added"
        )
    parts += [
        f"{KINDS[reason][0]} {verb}"
        for reason in reasons
        if reason != "negation" and not (dose and reason in ("number", "unit"))
    ]
    kind = "dose" if dose else "negation" if "negation" in reasons else reasons[0]
    description = "; ".join(parts)
    return Clinical(kind=kind, description=description[:1].upper() + description[1:])


def count_summary(counts: Counter[str]) -> str:
    """ "3 clinical changes: 2 doses, 1 negation" (empty when there are none)."""
    total = sum(counts.values())
    if not total:
        return ""
    kinds = ", ".join(
        f"{counts[kind]} {names[0] if counts[kind] == 1 else names[1]}"
        for kind, names in KINDS.items()
        if counts[kind]
    )
    return f"{total} clinical change{'' if total == 1 else 's'}: {kinds}"


def _has_negation(tokens: list[str]) -> bool:
    return any("negation" in _token_reasons(token) for token in tokens)


@lru_cache(maxsize=8192)
def _token_reasons(token: str) -> frozenset[str]:
    # Cached: an article repeats its words, and a long rewrite asks about each of them again.
    if token.isspace():
        return frozenset()
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
    return frozenset(reasons)
