"""How big and how intricate one piece of article text may be, and which characters it may hold.

Rendering Markdown costs time that grows with the input's intricacy, not only its length: about
200 KB of nested emphasis, brackets or table cells held a worker for 3-13 s. Every text is checked
here before it is stored or previewed, with limits far above any real article (the longest demo
text is under 10 KB, a long patient leaflet about 40 KB) and low enough that the worst text
accepted renders in well under a second.

Bidirectional control characters (U+202A-202E, U+2066-2069, and the marks U+200E, U+200F,
U+061C) are refused, not stripped: they can make a dose read backwards on screen ("5.0" shown as
"0.5") while the stored text, the hash and the sign-off say otherwise, and stripping would change
what the author saw in their editor without telling them. Arabic or Hebrew text needs none of
them to display correctly.

Pure functions, no database, so the form, the services, the API and the preview share them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from articles.content import normalise_text

MAX_TEXT_BYTES = 100_000  # one audience's text (or the summary), UTF-8
MAX_CITATION_MARKERS = 600  # `[@…]` markers in one text
MAX_BRACKETS = 3_000  # `[` in one text: links, citations, nesting
MAX_EMPHASIS_MARKERS = 4_000  # `*`, `_` and `~`, each a possible emphasis delimiter
MAX_TABLE_CELLS = 3_000  # `|` in one text, each a possible table cell

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_MARKER = re.compile(r"\[@")


class TextTooLarge(ValidationError):
    """A text over MAX_TEXT_BYTES: its own class so a preview can answer 413 rather than 422."""


def bidi_problem(value: str) -> str | None:
    """A message naming the first bidirectional control character in `value`, or None."""
    found = _BIDI.search(value or "")
    if found is None:
        return None
    return (
        f"Remove the invisible direction-control character U+{ord(found.group()):04X} "
        f"(at character {found.start() + 1}): it can make text such as a dose display in the "
        "wrong order."
    )


def check_line(value: str, *, label: str = "The title") -> None:
    """Refuse a one-line field (a title) holding bidirectional control characters."""
    problem = bidi_problem(value)
    if problem:
        raise ValidationError(f"{label} has a hidden character. {problem}", code="bidi_control")


def text_label(audience_label: str) -> str:
    """How messages name one audience's text: "The patient text"."""
    return f"The {audience_label.lower()} text"


def text_size(value: str) -> int:
    """A text's size as stored, in UTF-8 bytes: after the normalisation every save applies (LF
    line endings, no trailing spaces), so the form, the autosave and the model count alike."""
    return len(normalise_text(value or "").encode("utf-8", "surrogatepass"))


def too_large(value: str, *, label: str) -> TextTooLarge | None:
    """The one message for a text over MAX_TEXT_BYTES (None when it fits), wherever it is met."""
    size = text_size(value)
    if size <= MAX_TEXT_BYTES:
        return None
    return TextTooLarge(
        f"{label} is {size:,} bytes; the most one text may hold is {MAX_TEXT_BYTES:,}. "
        "Split it or shorten it.",
        code="too_large",
    )


def check_text(value: str, *, label: str = "This text") -> None:
    """Refuse a Markdown text that is too large or too intricate to render quickly, or that
    holds bidirectional control characters. Each message names the limit and the count found."""
    value = value or ""
    error = too_large(value, label=label)
    if error is not None:
        raise error
    counts = (
        (len(_MARKER.findall(value)), MAX_CITATION_MARKERS, "citation markers [@…]"),
        (value.count("["), MAX_BRACKETS, "square brackets ["),
        (sum(value.count(c) for c in "*_~"), MAX_EMPHASIS_MARKERS, "emphasis marks (* _ ~)"),
        (value.count("|"), MAX_TABLE_CELLS, "table cell separators |"),
    )
    for found, limit, what in counts:
        if found > limit:
            raise ValidationError(
                f"{label} has {found:,} {what}; at most {limit:,} are allowed in one text.",
                code="too_complex",
            )
    problem = bidi_problem(value)
    if problem:
        raise ValidationError(f"{label} has a hidden character. {problem}", code="bidi_control")


def content_errors(*, title: str, summary: str, texts: object) -> dict[str, ValidationError]:
    """Every limit broken by a version's content, by model field (`Article.clean` raises them)."""
    checks = [
        ("title", check_line, title, "The title"),
        ("summary", check_text, summary, "The summary"),
    ]
    if isinstance(texts, dict):
        for key, text in sorted(texts.items()):
            checks.append(("texts", check_text, str(text), text_label(key)))
    errors: dict[str, list[ValidationError]] = {}
    for field, check, value, label in checks:
        try:
            check(value or "", label=label)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.error_list)
    return {field: ValidationError(found) for field, found in errors.items()}
