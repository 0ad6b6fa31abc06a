"""Reads for the public site. Each page costs a fixed number of queries, whatever the data.

One module per kind of page: `listing` (the index, topics, counts), `review` (a live version's
review status), `article` (the article page), `links` (its related questions, topics, authors), `site_pages` (board and editors' pages),
`history` (an article's public history), `downloads` (its references). This module re-exports
them: the views call `selectors.<name>`, the API imports from here, and tests patch names here.
"""

from public.selectors.article import (
    ArticlePage,
    article_page,
    disclaimer_text,
    published_article,
)
from public.selectors.downloads import published_article_references
from public.selectors.history import LazyHistory, PublishedVersion, public_history
from public.selectors.links import article_topics, automatic_related_ids
from public.selectors.listing import (
    FromEitherEndPaginator,
    page_with_count,
    published_article_page,
    published_articles,
    published_paginator,
    topic_page,
    topics_with_articles,
)
from public.selectors.review import (
    LiveReview,
    TrackerStep,
    live_reviews,
    live_status,
    tracker_steps,
)
from public.selectors.site_pages import board_members, site_page, site_page_or_none

__all__ = [
    "ArticlePage",
    "FromEitherEndPaginator",
    "LazyHistory",
    "LiveReview",
    "PublishedVersion",
    "TrackerStep",
    "article_page",
    "article_topics",
    "automatic_related_ids",
    "board_members",
    "disclaimer_text",
    "live_reviews",
    "live_status",
    "page_with_count",
    "public_history",
    "published_article",
    "published_article_page",
    "published_article_references",
    "published_articles",
    "published_paginator",
    "site_page",
    "site_page_or_none",
    "topic_page",
    "topics_with_articles",
    "tracker_steps",
]
