"""The pages the benchmark measures: name, path, who asks, and whether the load generator hits it.

bench/measure.py times all of them in-process; those marked `load` are also loaded over HTTP by
bench/run.py, the rest are lists checked for constant queries as the data grows. Import after
django.setup() (measure.py does).
"""

from __future__ import annotations

from typing import Any

from articles.models import Article
from bench.generation import CONDITIONS, FEATURED_SLUG
from public.selectors import published_articles

SEARCH_TERM = CONDITIONS[0]  # the featured article's condition: 1 article in 50 mentions it
# A word every generated article's patient text holds ("help", "helps"): the most matches.
COMMON_TERM = "help"


def urls() -> list[dict[str, Any]]:
    """Every page measured: name, path, who asks, and whether the load generator hits it too."""
    last_page = max(1, (published_articles().count() + 19) // 20)
    a = f"/articles/{FEATURED_SLUG}/"
    topic = SEARCH_TERM.replace(" ", "-").lower()
    assert Article.objects.filter(slug=FEATURED_SLUG).exists(), "generate the data first"
    return [
        {
            "name": "article page",
            "path": f"{a}?audience=patient",
            "user": None,
            "load": True,
            "kind": "page",
        },
        # In-process only: the same page with both page caches off (EDITORIAL_SHARED_PAGE_CACHE
        # off for this URL), as the no-page-cache load pass serves it.
        {
            "name": "article page, no page cache",
            "path": f"{a}?audience=patient",
            "user": None,
            "load": False,
            "kind": "page",
            "page_cache": False,
        },
        {"name": "home page", "path": "/", "user": None, "load": True, "kind": "list"},
        {
            "name": "search",
            "path": f"/search/?q={SEARCH_TERM}&audience=patient",
            "user": None,
            "load": True,
            "kind": "list",
        },
        # In-process only: the same search without kept results (EDITORIAL_SHARED_PAGE_CACHE off
        # for this URL, as the no-page-cache load pass serves it), and a word in every article.
        {
            "name": "search, results not kept",
            "path": f"/search/?q={SEARCH_TERM}&audience=patient",
            "user": None,
            "load": False,
            "kind": "list",
            "page_cache": False,
        },
        {
            "name": "search, a word in every article",
            "path": f"/search/?q={COMMON_TERM}&audience=patient",
            "user": None,
            "load": False,
            "kind": "list",
        },
        {
            "name": "search, a word in every article, results not kept",
            "path": f"/search/?q={COMMON_TERM}&audience=patient",
            "user": None,
            "load": False,
            "kind": "list",
            "page_cache": False,
        },
        {
            "name": "read API detail",
            "path": f"/api/v1/articles/{FEATURED_SLUG}/?audience=patient",
            "user": None,
            "load": True,
            "kind": "page",
        },
        {
            "name": "reviewer dashboard",
            "path": "/workspace/",
            "user": "reviewer",
            "load": True,
            "kind": "list",
        },
        {
            "name": "article history (public)",
            "path": f"{a}history/",
            "user": None,
            "load": True,
            "kind": "page",
        },
        {
            "name": "topic page",
            "path": f"/topics/{topic}/",
            "user": None,
            "load": True,
            "kind": "list",
        },
        {
            "name": "editor dashboard",
            "path": "/workspace/",
            "user": "editor",
            "load": True,
            "kind": "list",
        },
        # In-process only: more lists, to see that pagination keeps them constant.
        {
            "name": "home page, last page",
            "path": f"/?page={last_page}",
            "user": None,
            "load": False,
            "kind": "list",
        },
        {
            "name": "read API list",
            "path": "/api/v1/articles/",
            "user": None,
            "load": False,
            "kind": "list",
        },
        {
            "name": "version history (workspace)",
            "path": f"/workspace/articles/{FEATURED_SLUG}/history/",
            "user": "editor",
            "load": False,
            "kind": "list",
        },
        {
            "name": "article in workspace",
            "path": f"/workspace/articles/{FEATURED_SLUG}/",
            "user": "editor",
            "load": False,
            "kind": "page",
        },
    ]
