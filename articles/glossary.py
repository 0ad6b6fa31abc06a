"""Inline definitions of glossary terms for lay readers.

The first use of each term in the body (outside links, code, headings and citation numbers)
becomes a link to the term's entry in a "Words explained" list appended to the body, described
by a tooltip that shows on hover and on keyboard focus (`aria-describedby` reads it to screen
readers). Works without JavaScript: the link jumps to the definition.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from articles.models import GLOSSARY_CACHE_KEY, GlossaryTerm
from articles.rendering import text_nodes

# Text inside these is not annotated: a link in a link, code, a heading, a citation number.
_SKIP = frozenset({"a", "code", "pre", "h2", "h3", "h4", "sup"})


@dataclass(frozen=True)
class Term:
    term: str
    slug: str
    definition: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]
    fingerprint: str


def current_glossary() -> Glossary:
    """Every term, from the cache when possible, with a fingerprint that changes with any edit."""
    glossary = cache.get(GLOSSARY_CACHE_KEY)
    if glossary is None:
        terms = tuple(
            Term(term=t.term, slug=t.slug, definition=t.definition, forms=tuple(t.forms))
            for t in GlossaryTerm.objects.order_by("term")
        )
        digest = hashlib.sha256(
            repr([(t.term, t.slug, t.definition, t.forms) for t in terms]).encode()
        )
        glossary = Glossary(terms=terms, fingerprint=digest.hexdigest()[:12])
        cache.set(GLOSSARY_CACHE_KEY, glossary, 60 * 60)
    return glossary


def _pattern(term: Term) -> re.Pattern[str]:
    forms = sorted((html.escape(f, quote=False) for f in term.forms), key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.IGNORECASE
    )


def annotate(safe_html: str, glossary: Glossary) -> str:
    """Mark the first use of each term and append the definitions used. Input and output are
    sanitised HTML; definitions are escaped."""
    if not glossary.terms:
        return safe_html
    pending = {t.slug: (t, _pattern(t)) for t in sorted(glossary.terms, key=lambda t: -len(t.term))}
    used: list[Term] = []
    out = []
    for chunk, is_text, open_tags in text_nodes(safe_html):
        if not is_text or open_tags & _SKIP or not pending:
            out.append(chunk)
            continue
        pieces = [chunk]
        for slug, (term, pattern) in list(pending.items()):
            for index, piece in enumerate(pieces):
                if not isinstance(piece, str):
                    continue
                match = pattern.search(piece)
                if match is None:
                    continue
                pieces[index : index + 1] = [
                    piece[: match.start()],
                    (term, match.group(0)),
                    piece[match.end() :],
                ]
                used.append(term)
                del pending[slug]
                break
        out.extend(p if isinstance(p, str) else _inline(*p) for p in pieces)
    if not used:
        return safe_html
    entries = format_html_join(
        "",
        '<dt id="glossary-{}">{}</dt><dd>{}</dd>',
        ((t.slug, t.term, t.definition) for t in sorted(used, key=lambda t: t.term.lower())),
    )
    words = format_html(
        '<section class="glossary-list" aria-labelledby="glossary-title">'
        '<h2 id="glossary-title">Words explained</h2><dl>{}</dl></section>',
        entries,
    )
    return "".join(out) + words


def _inline(term: Term, shown: str) -> str:
    # `shown` is already escaped text from the sanitised HTML: keep it as it is.
    return format_html(
        '<span class="glossary"><a class="glossary-term" href="#glossary-{slug}" '
        'aria-describedby="gloss-{slug}">{shown}</a><span class="glossary-tip" role="tooltip" '
        'id="gloss-{slug}">{definition}</span></span>',
        slug=term.slug,
        shown=mark_safe(shown),
        definition=term.definition,  # noqa: S308
    )
