"""/sitemap.xml is an index of paged sections: past the protocol's 50,000 URLs a file, flat cost.

Paging is proven on a few dozen generated articles (bench/generate.py) with the page size lowered
to 10; production pages at 50,000 (EDITORIAL_SITEMAP_PAGE_SIZE).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client, override_settings

from bench.generate import generate
from public.feeds import canonical_path
from public.sitemaps import ArticleSitemap

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PAGE_SIZE = 10


def _locs(client: Client, path: str, tag: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return [e.findtext(f"{SITEMAP}loc") for e in ET.fromstring(response.content).iter(tag)]


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def approved_articles() -> list[str]:
    """Generated articles; the sitemap's are the approved published ones, in slug order."""
    generate(articles=60, versions=1, progress=False, jobs=1, out=io.StringIO())
    listed = [canonical_path(a) for a in ArticleSitemap().items()]
    assert len(listed) > 2 * PAGE_SIZE, "the generator publishes too few approved articles"
    return listed


@override_settings(EDITORIAL_SITEMAP_PAGE_SIZE=PAGE_SIZE)
def test_the_index_lists_every_page_of_each_section_and_the_pages_hold_every_url_once(
    client: Client, approved_articles: list[str]
) -> None:
    """Pages of at most PAGE_SIZE URLs; together, every approved article once, in slug order."""
    sections = [_path(u) for u in _locs(client, "/sitemap.xml", f"{SITEMAP}sitemap")]
    pages = -(-len(approved_articles) // PAGE_SIZE)
    assert sections == [
        "/sitemap-pages.xml",
        "/sitemap-policy.xml",
        "/sitemap-articles.xml",
        *(f"/sitemap-articles.xml?p={n}" for n in range(2, pages + 1)),
    ]
    listed = []
    for page in sections[2:]:
        urls = _locs(client, page, f"{SITEMAP}url")
        assert 0 < len(urls) <= PAGE_SIZE
        listed += [_path(u) for u in urls]
    assert listed == approved_articles


@override_settings(EDITORIAL_SITEMAP_PAGE_SIZE=PAGE_SIZE)
def test_a_page_past_the_end_an_unreadable_page_or_an_unknown_section_is_not_found(
    client: Client, approved_articles: list[str]
) -> None:
    """A crawler's stale or mangled URL gets a 404, never a 500."""
    past_the_end = -(-len(approved_articles) // PAGE_SIZE) + 1
    for path in (
        f"/sitemap-articles.xml?p={past_the_end}",
        "/sitemap-articles.xml?p=two",
        "/sitemap-drafts.xml",
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("articles", [20, 60])
@override_settings(EDITORIAL_SITEMAP_PAGE_SIZE=PAGE_SIZE)
def test_the_index_and_each_page_cost_the_same_queries_at_any_size(
    client: Client, articles: int, django_assert_num_queries: Any
) -> None:
    """Index: a count and a latest date per dated section (4). A page: a count and a read."""
    generate(articles=articles, versions=1, progress=False, jobs=1, out=io.StringIO())
    with django_assert_num_queries(4):
        assert client.get("/sitemap.xml").status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/sitemap-articles.xml?p=2").status_code == 200
