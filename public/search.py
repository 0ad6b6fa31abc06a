"""Search over published articles: the live (frozen) version only, in the reader's audience.

What is searched: the title (weight A), the summary (B) and the text the reader's audience is
shown, following the audience's fallback order exactly as the article page does (C). A match in
the title ranks above one in the summary, which ranks above one in the text alone; equally
relevant articles come newest first.

On PostgreSQL it is full-text search (`websearch_to_tsquery`: quotes, `or`, `-word`) over the
search entries (public.models.SearchEntry: the live version's vectors, computed once at
publication and GIN-indexed), in two queries whatever the library's size:

1. the candidates, ranked: the matches are read newest first and the read stops after
   MAX_RANKED of them, together with the newest MAX_RANKED whose title and summary match the
   whole query; they are ranked by `ts_rank` of the stored title-and-summary vector. Up to
   MAX_RANKED matches (every search but the most common words) this is the exact ranking of
   every match; beyond, the page says "more than" and ranks that bounded set, so a word found
   in every article costs the same as a rare one.
2. the page: its rows by key, with `ts_headline` snippets made from the stretch of the text
   where a query word first occurs (a window of SNIPPET_WINDOW characters), not the whole text.

Elsewhere (SQLite, the embedded default) a fallback: every word must occur, case-insensitively,
in the title, the summary or the text, ranked title, then summary, then text, then newest; the
snippet is a window around the first match. It scans every published article: fine for a local
site, not a production search engine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString

from articles.addresses import article_url
from articles.audiences import Audience
from articles.models import Article
from public.models import SearchEntry
from public.page_cache import public_pages_epoch
from public.search_index import SEARCH_CONFIG, audience_text_sql
from public.selectors.listing import published_articles
from public.snippets import (
    PLAIN_TEXT_RULES,
    START_SEL,
    STOP_SEL,
    plain_text,
    plain_text_raw_sql,
    snippet_html,
    window,
)

__all__ = [
    "PLAIN_TEXT_RULES",
    "SEARCH_CONFIG",
    "article_search",
    "normalise_query",
    "plain_text",
    "results_key",
]

MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 20
# Ranked exactly up to this many matches; beyond, the newest this many (see the module's doc).
MAX_RANKED = 1000
# The fallback's words; more than this is not a search for an article but a paste of one.
MAX_FALLBACK_TERMS = 10
# The snippet is made from this much of the text, starting SNIPPET_LEAD before the first match.
SNIPPET_WINDOW = 450
SNIPPET_LEAD = 120
HEADLINE_OPTIONS = (
    f'StartSel="{START_SEL}", StopSel="{STOP_SEL}", MaxWords=30, MinWords=12, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normalise_query(query: str) -> str:
    """The query without control characters (PostgreSQL refuses NUL) or surrounding space."""
    return _WHITESPACE.sub(" ", _CONTROL_CHARACTERS.sub("", query)).strip()


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
    more: bool = False  # more matches than MAX_RANKED: the count is "more than"
    more_than: str = f"{MAX_RANKED:,}"


def article_search(
    *, query: str, audience: Audience, page_number: str | int | None
) -> SearchResults:
    """One page of published articles matching `query`, best first; two queries, whatever the data."""
    query = normalise_query(query)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(f"A search is at most {MAX_QUERY_LENGTH} characters.")
    if connection.vendor == "postgresql":
        ids, more = _ranked_candidates(query, audience)
        page = Paginator(ids, RESULTS_PER_PAGE).get_page(page_number)
        rows = _page_rows(list(page.object_list), query=query, audience=audience)
        return SearchResults(
            query=query,
            page=page,
            results=[_result(*rows[pk], audience=audience) for pk in page if pk in rows],
            full_text=True,
            more=more,
            more_than=f"{MAX_RANKED:,}",
        )
    matches, snippet_of = _fallback(query=query, audience=audience)
    page = Paginator(matches, RESULTS_PER_PAGE).get_page(page_number)
    results = [
        _result(
            article.slug,
            article.live_version.title,
            article.live_version.summary,
            article.live_version.updated_at,
            article.live_pending_review,
            snippet_of(article),
            audience=audience,
        )
        for article in page.object_list
    ]
    return SearchResults(query=query, page=page, results=results, full_text=False)


def results_key(*, query: str, audience: Audience, page_number: str | int | None) -> str | None:
    """What names this page of results under the current publication epoch, for its rendering
    kept in each process (templates/articles/search.html); None with the page cache off.

    Everything a result shows (which articles are published, their live text, the pending-review
    mark) changes only with something that moves the epoch, as a search engine keeps a query's
    results until its index next changes. Kept in each process only (a bounded local-memory
    cache): a shared store of every query anyone typed would grow with what strangers type.
    One cache round trip, for the epoch.
    """
    if not settings.EDITORIAL_SHARED_PAGE_CACHE:
        return None
    asked = f"{audience.key}\x00{page_number or ''}\x00{normalise_query(query)}"
    return f"search-results:{public_pages_epoch()}:{hashlib.sha256(asked.encode()).hexdigest()}"


def _result(
    slug: str,
    title: str,
    summary: str,
    updated_at: datetime,
    pending_review: bool,
    snippet: SafeString,
    *,
    audience: Audience,
) -> SearchResult:
    return SearchResult(
        slug=slug,
        title=title,
        summary=summary,
        snippet=snippet,
        url=f"{article_url(slug)}?audience={audience.key}",
        pending_review=pending_review,
        updated_at=updated_at,
    )


_TSQUERY = "websearch_to_tsquery(%s::regconfig, %s)"
# websearch_to_tsquery reads a "-" before a word as "not".
_NEGATED = re.compile(r"(^|[\s\"(])-\w")


def _ranked_candidates(query: str, audience: Audience) -> tuple[list[int], bool]:
    """The matching articles' keys, best first (at most MAX_RANKED), and whether there are more
    matches than that. One query; see the module's doc for the bound."""
    table = SearchEntry._meta.db_table
    newest = "ORDER BY published_at DESC, article_id DESC LIMIT %s"
    tsquery = (SEARCH_CONFIG, query)
    # Title and summary come first in the document, positions kept: a query without a negated
    # word that matches them matches the document too, and the (larger) document is not read.
    negated = _NEGATED.search(query) is not None
    also_document = f" AND document @@ {_TSQUERY}" if negated else ""
    sql = (
        f"SELECT article_id, recent FROM ("
        f"(SELECT article_id, published_at, head, false AS recent FROM {table}"
        f" WHERE audience = %s AND head @@ {_TSQUERY}{also_document} {newest})"
        f" UNION ALL "
        f"(SELECT article_id, published_at, head, true AS recent FROM {table}"
        f" WHERE audience = %s AND document @@ {_TSQUERY} {newest})"
        f") candidates ORDER BY ts_rank(head, {_TSQUERY}) DESC, published_at DESC, article_id DESC"
    )
    params = [
        *(audience.key, *tsquery, *(tsquery if negated else ()), MAX_RANKED),
        *(audience.key, *tsquery, MAX_RANKED + 1),
        *tsquery,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = list(dict.fromkeys(pk for pk, _ in rows))
    more = sum(recent for _, recent in rows) > MAX_RANKED
    return ids[:MAX_RANKED], more


def _page_rows(ids: list[int], *, query: str, audience: Audience) -> dict[int, tuple[Any, ...]]:
    """What the page shows of these articles, with their snippets, by key (one query).

    ts_headline costs what the text it reads is long, so it reads a window of SNIPPET_WINDOW
    characters that starts SNIPPET_LEAD before the first word beginning with one of the query's
    stems ("fractur" finds "fractured", "Fractures"), or the text's start when none does (a
    match in the title only). The window's edges may cut a word or a citation marker: the cut
    piece at each end is dropped before the Markdown is turned into plain text.
    """
    if not ids:
        return {}
    text, text_params = audience_text_sql(audience)
    cut = "CASE WHEN cut_start THEN regexp_replace(cut, '^\\S*\\s', '') ELSE cut END"
    plain, plain_params = plain_text_raw_sql(
        f"CASE WHEN cut_end THEN regexp_replace({cut}, '\\s\\S*$', '') ELSE {cut} END"
    )
    sql = (
        f"WITH page AS MATERIALIZED ("
        f"SELECT a.id, a.slug, v.title, v.summary, v.updated_at, a.live_pending_review,"
        f" ' ' || {text} AS body"
        f" FROM {Article._meta.db_table} a"
        f" JOIN {Article.history.model._meta.db_table} v ON v.history_id = a.live_version_id"
        f" WHERE a.id = ANY(%s)),"
        f" stems AS (SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s)) AS lexemes),"
        f" found AS MATERIALIZED (SELECT page.*, greatest(1, coalesce(("
        f"SELECT min(nullif(strpos(page.body, word), 0)) FROM stems, unnest(lexemes) AS lexeme,"
        f" unnest(ARRAY[' ' || lexeme, ' ' || initcap(lexeme), E'\\n' || lexeme,"
        f" E'\\n' || initcap(lexeme)]) AS word), 1) - %s) AS start FROM page),"
        f" windows AS MATERIALIZED (SELECT found.*, substr(body, start, %s) AS cut,"
        f" start > 1 AS cut_start, start + %s <= length(body) AS cut_end FROM found)"
        f" SELECT id, slug, title, summary, updated_at, live_pending_review,"
        f" ts_headline(%s::regconfig, {plain}, {_TSQUERY}, %s) FROM windows"
    )
    positive = " ".join(word for word in query.split() if not word.startswith("-"))
    params = [
        *text_params,
        ids,
        SEARCH_CONFIG,
        positive,
        SNIPPET_LEAD,
        SNIPPET_WINDOW,
        SNIPPET_WINDOW,
        SEARCH_CONFIG,
        *plain_params,
        SEARCH_CONFIG,
        query,
        HEADLINE_OPTIONS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (*row[1:6], snippet_html(row[6] or "")) for row in cursor.fetchall()}


def _fallback(*, query: str, audience: Audience) -> tuple[QuerySet[Article], Any]:
    terms = list(dict.fromkeys(word.casefold() for word in _WORD.findall(query)))[
        :MAX_FALLBACK_TERMS
    ]
    base = published_articles()
    if not terms:
        return base.none(), lambda article: snippet_html("")
    keys = (audience.key, *audience.fallback)
    body = Coalesce(
        *(KeyTextTransform(key, "live_version__texts") for key in keys),
        Value(""),
        output_field=TextField(),
    )
    matches = base.annotate(body=body)
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
    matches = matches.annotate(rank=rank).order_by("-rank", F("published_at").desc(), "-pk")
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.I
    )
    return matches, lambda article: snippet_html(window(plain_text(article.body), pattern))
