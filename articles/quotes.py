"""Finding a quoted passage again in a rendering's plain text, after the text changed.

As the W3C Web Annotation TextQuoteSelector: the exact words, and a little text before (`prefix`)
and after (`suffix`) them to choose between repeats. Pure string work, bounded per quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# At most this many places of one quote are weighed: the work per thread stays bounded.
CANDIDATES = 50


def normalised_find(text: str, quote: str) -> list[tuple[int, int]]:
    """Places of `quote` in `text` with any run of whitespace matching any other (a passage
    pasted from the page, or text re-wrapped since), as [start, end) of `text`."""
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = []
    for match in pattern.finditer(text):
        found.append((match.start(), match.end()))
        if len(found) == CANDIDATES:
            break
    return found


def relocate(
    text: str, *, quote: str, prefix: str = "", suffix: str = "", hint: int | None = None
) -> tuple[int, int] | None:
    """Where a quote with this context is in `text` now, as [start, end), or None when gone.

    As the W3C Web Annotation TextQuoteSelector: the exact words (or, failing that, the words
    with their whitespace changed), disambiguated by how much of the text before (`prefix`) and
    after (`suffix`) still matches, then by closeness to `hint` (where it was).
    """
    if not quote.strip():
        return None
    candidates: list[tuple[int, int]] = []
    at = text.find(quote)
    while at >= 0 and len(candidates) < CANDIDATES:
        candidates.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    candidates = candidates or normalised_find(text, quote)
    if not candidates:
        return None

    def score(place: tuple[int, int]) -> tuple[int, int]:
        before = text[max(place[0] - len(prefix), 0) : place[0]]
        same_before = _common_length(reversed(prefix), reversed(before))
        same_after = _common_length(suffix, text[place[1] : place[1] + len(suffix)])
        distance = abs(place[0] - hint) if hint is not None else place[0]
        return same_before + same_after, -distance

    return max(candidates, key=score)


def _common_length(a: Iterable[str], b: Iterable[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
