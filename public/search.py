"""Reads for the reader-side listings: search over published articles, and the review status of
many published articles at once (the feed and the read API).

Search only ever looks at the live (frozen) version of a published article: its title (weight A),
its summary (B) and the text the reader's audience is shown, following the audience's fallback
order exactly as the article page does (C).

On PostgreSQL it is full-text search: `websearch_to_tsquery` (quotes, `or`, `-word`), ranked by
`ts_rank` of the title and summary (a match in the text alone ranks below), with `ts_headline`
snippets. Migration 0003 adds one GIN expression index per audience on the history table that
matches `search_document()` exactly, so the match is an index scan over the versions followed by
a join to the live ones, not a `to_tsvector` of every live version per query
(tests/public/test_search.py checks that the planner can use it). The rank reads the short title
and summary of the matching rows only, and snippets are made for the page shown.

Elsewhere (SQLite, the embedded default) a fallback: every word must occur, case-insensitively,
in the title, the summary or the text; a title match outranks a summary match, which outranks a
body match; the snippet is a window around the first match. It scans every published article:
fine for a local site, not a production search engine.

Snippets are built from user Markdown, so they are made safe here and nowhere else: the text is
turned into plain text (Markdown syntax and citation markers removed), matches are wrapped in
sentinel characters that cannot occur in stored text, then the whole snippet is HTML-escaped and
only the sentinels become <mark> and </mark>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Func, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.audiences import Audience
from articles.content import MARKER_GROUP
from articles.models import Article
from public.selectors.listing import published_articles

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 20
# The fallback's words; more than this is not a search for an article but a paste of one.
MAX_FALLBACK_TERMS = 10
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
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normalise_query(query: str) -> str:
    """The query without control characters (PostgreSQL refuses NUL) or surrounding space."""
    return _WHITESPACE.sub(" ", _CONTROL_CHARACTERS.sub("", query)).strip()


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


def snippet_html(marked: str) -> SafeString:
    """A snippet whose matches are between the sentinels, as safe HTML with <mark>."""
    escaped = _WHITESPACE.sub(" ", str(escape(marked))).strip()
    return mark_safe(escaped.replace(START_SEL, "<mark>").replace(STOP_SEL, "</mark>"))  # noqa: S308


def audience_text(audience: Audience, *, prefix: str = "live_version__") -> Coalesce:
    """The text `audience` is shown, as an expression: its own, else the first fallback with text.

    Texts are normalised on save (empty ones dropped), so a missing key is the only "no text":
    this is `articles.audiences.resolve_text` in SQL.
    """
    keys = (audience.key, *audience.fallback)
    texts = f"{prefix}texts"
    return Coalesce(
        *(KeyTextTransform(key, texts) for key in keys), Value(""), output_field=TextField()
    )


def search_document(audience: Audience, *, prefix: str = "live_version__") -> SearchVector:
    """The weighted document searched for `audience` (PostgreSQL). Migration 0003 indexes it."""
    return (
        SearchVector(f"{prefix}title", weight="A", config=SEARCH_CONFIG)
        + SearchVector(f"{prefix}summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector(
            plain_text_sql(audience_text(audience, prefix=prefix)), weight="C", config=SEARCH_CONFIG
        )
    )


@dataclass(frozen=True)
class SearchResult:
    slug: str
    title: str
    summary: str
    snippet: SafeString
    url: str
    pending_review: bool
    updated_at: datetime


@dataclass(frozen=True)
class SearchResults:
    query: str
    page: Page
    results: list[SearchResult]
    full_text: bool  # PostgreSQL full-text search, rather than the fallback


def article_search(
    *, query: str, audience: Audience, page_number: str | int | None
) -> SearchResults:
    """One page of published articles matching `query`, best first; two queries, whatever the data."""
    query = normalise_query(query)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(f"A search is at most {MAX_QUERY_LENGTH} characters.")
    base = published_articles().only(
        "slug",
        "live_pending_review",
        "live_version__title",
        "live_version__summary",
        "live_version__updated_at",
    )
    full_text = connection.vendor == "postgresql"
    if full_text:
        matches, snippet_of = _full_text(base, query=query, audience=audience)
    else:
        matches, snippet_of = _fallback(base, query=query, audience=audience)
    page = Paginator(matches, RESULTS_PER_PAGE).get_page(page_number)
    results = [
        SearchResult(
            slug=article.slug,
            title=article.live_version.title,
            summary=article.live_version.summary,
            snippet=snippet_of(article),
            url=f"{reverse('public:detail', kwargs={'slug': article.slug})}?audience={audience.key}",
            pending_review=article.live_pending_review,
            updated_at=article.live_version.updated_at,
        )
        for article in page.object_list
    ]
    return SearchResults(query=query, page=page, results=results, full_text=full_text)


def _full_text(
    base: QuerySet[Article], *, query: str, audience: Audience
) -> tuple[QuerySet[Article], Any]:
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    document = search_document(audience)
    matches = (
        # A condition on the version's own columns makes the join to it an inner join (through a
        # left join, PostgreSQL could not use the history table's index for the match); one that
        # no index serves, so that the planner weighs only the search index for that table.
        base.filter(live_version__title__isnull=False)
        .annotate(document=document)
        .filter(document=search_query)
        .annotate(
            # Ranked on the title (A) and summary (B) only: a body match ranks below both, as in
            # the fallback. Ranking on the whole document would build the tsvector of every
            # matching article's text for each search (a cost that grows with the matches); the
            # match itself is served by the GIN index, the snippets are made for one page only.
            rank=SearchRank(
                SearchVector("live_version__title", weight="A", config=SEARCH_CONFIG)
                + SearchVector("live_version__summary", weight="B", config=SEARCH_CONFIG),
                search_query,
            ),
            snippet=SearchHeadline(
                plain_text_sql(audience_text(audience)),
                search_query,
                config=SEARCH_CONFIG,
                start_sel=START_SEL,
                stop_sel=STOP_SEL,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "live_version__title", "pk")
    )
    return matches, lambda article: snippet_html(article.snippet)


def _fallback(
    base: QuerySet[Article], *, query: str, audience: Audience
) -> tuple[QuerySet[Article], Any]:
    terms = list(dict.fromkeys(word.casefold() for word in _WORD.findall(query)))[
        :MAX_FALLBACK_TERMS
    ]
    if not terms:
        return base.none(), lambda article: snippet_html("")
    matches = base.annotate(body=audience_text(audience))
    rank: Any = Value(0)
    for term in terms:
        in_title = Q(live_version__title__icontains=term)
        in_summary = Q(live_version__summary__icontains=term)
        in_body = Q(body__icontains=term)
        matches = matches.filter(in_title | in_summary | in_body)
        rank = (
            rank
            + Case(When(in_title, then=Value(4)), default=Value(0))
            + Case(When(in_summary, then=Value(2)), default=Value(0))
            + Case(When(in_body, then=Value(1)), default=Value(0))
        )
    matches = matches.annotate(rank=rank).order_by("-rank", "live_version__title", "pk")
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.I
    )
    return matches, lambda article: snippet_html(_window(plain_text(article.body), pattern))


def _window(text: str, pattern: re.Pattern[str]) -> str:
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
    window = pattern.sub(lambda m: f"{START_SEL}{m.group(0)}{STOP_SEL}", text[start:end])
    return ("… " if start else "") + window + (" …" if end < len(text) else "")
