"""Snippets for search results, made safe here and nowhere else.

Texts are user Markdown: a snippet is made from plain text (Markdown syntax and citation markers
removed), matches are wrapped in sentinel characters that cannot occur in stored text, then the
whole snippet is HTML-escaped and only the sentinels become <mark> and </mark>.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Func, TextField, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.content import MARKER_GROUP

SNIPPET_CHARS = 240

# Sentinels around a match: control characters that the plain-text rules remove from the text
# itself, so that after escaping they can only be ours.
START_SEL, STOP_SEL = "\x02", "\x03"

# Markdown to plain text, applied in order. Each pattern means the same to Python's `re` and to
# PostgreSQL's regular expressions (no flags, `(^|\n)` for a line start), so the two databases
# produce the same plain text from the same Markdown.
PLAIN_TEXT_RULES: tuple[tuple[str, str], ...] = (
    (f"[{START_SEL}{STOP_SEL}]", ""),
    (f"[ \t]*{MARKER_GROUP.pattern}", ""),  # citation markers: [@pmid:123], [@a; @b]
    (r"!?\[([^]\n]*)\]\([^)\n]*\)", r"\1"),  # links and images keep their text only
    (r"(^|\n)[ \t]*(#{1,6}|>|[-+*]|[0-9]+[.)])[ \t]+", r"\1"),  # headings, quotes, list items
    (r"[*_`~]+", ""),  # emphasis and code
    (r"\|", " "),  # table cells
    (r":?-{3,}:?", ""),  # table header rules and horizontal rules
)
_PLAIN_TEXT_RULES = tuple((re.compile(pattern), repl) for pattern, repl in PLAIN_TEXT_RULES)
_WHITESPACE = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """Markdown as plain text for snippets: no syntax, no citation markers."""
    for pattern, repl in _PLAIN_TEXT_RULES:
        markdown = pattern.sub(repl, markdown)
    return markdown


def plain_text_sql(expression: Any) -> Func:
    """`plain_text` as a database expression (PostgreSQL's regexp_replace)."""
    for pattern, repl in PLAIN_TEXT_RULES:
        expression = Func(
            expression,
            Value(pattern),
            Value(repl),
            Value("g"),
            function="regexp_replace",
            output_field=TextField(),
        )
    return expression


def plain_text_raw_sql(sql: str) -> tuple[str, list[str]]:
    """`plain_text` around the SQL text `sql`, with its parameters (for hand-written queries)."""
    params: list[str] = []
    for pattern, repl in PLAIN_TEXT_RULES:
        sql = f"regexp_replace({sql}, %s, %s, 'g')"
        params.extend((pattern, repl))
    return sql, params


def snippet_html(marked: str) -> SafeString:
    """A snippet whose matches are between the sentinels, as safe HTML with <mark>."""
    escaped = _WHITESPACE.sub(" ", str(escape(marked))).strip()
    return mark_safe(escaped.replace(START_SEL, "<mark>").replace(STOP_SEL, "</mark>"))  # noqa: S308


def window(text: str, pattern: re.Pattern[str]) -> str:
    """About SNIPPET_CHARS of `text` around the first match, every match between sentinels."""
    text = _WHITESPACE.sub(" ", text).strip()
    first = pattern.search(text)
    start = 0
    if first and first.start() > SNIPPET_CHARS // 3:
        start = text.find(" ", first.start() - SNIPPET_CHARS // 3) + 1
    end = len(text)
    if end - start > SNIPPET_CHARS:
        end = text.rfind(" ", start, start + SNIPPET_CHARS)
        end = end if end > start else start + SNIPPET_CHARS
    marked = pattern.sub(lambda m: f"{START_SEL}{m.group(0)}{STOP_SEL}", text[start:end])
    return ("… " if start else "") + marked + (" …" if end < len(text) else "")
