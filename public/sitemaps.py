"""/sitemap.xml: the home page, the approved published articles, the editorial policy, the board.

One URL per article, its canonical address for the default audience (see feeds.canonical_path).
The other audiences' renderings are reachable from that page; listing them all would offer
crawlers four near-identical pages per article. Articles published pending review are left out:
their pages carry `noindex`, and a sitemap that lists what it also asks not to index contradicts
itself.

/sitemap.xml is an index of sections (`sitemap-<section>.xml`), each paged at
EDITORIAL_SITEMAP_PAGE_SIZE URLs (`?p=2`, ...): the protocol's limit is 50,000 URLs a file, and
each page costs the same few queries however many articles there are.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.urls import reverse

from articles.models import Article, SitePage
from public.feeds import canonical_path
from public.selectors.listing import published_articles
from reviews.models import Meaning, SignOff

EDITORIAL_POLICY_SLUG = "editorial-policy"


class PagedSitemap(Sitemap):
    """A section paged at the configured size (read per request, so tests can lower it)."""

    @property
    def limit(self) -> int:
        return settings.EDITORIAL_SITEMAP_PAGE_SIZE


class PagesSitemap(PagedSitemap):
    def items(self) -> list[str]:
        return ["public:home", "public:board"]

    def location(self, item: str) -> str:
        return reverse(item)


class PolicySitemap(PagedSitemap):
    def items(self) -> QuerySet[SitePage]:
        return SitePage.objects.filter(slug=EDITORIAL_POLICY_SLUG).only("slug", "updated_at")

    def lastmod(self, item: SitePage) -> datetime:
        return item.updated_at


class ArticleSitemap(PagedSitemap):
    def items(self) -> QuerySet[Article]:
        # Approved exactly as the article page decides (selectors.article_page): not published
        # pending review, and an approval signed on the live version's content hash.
        approval = SignOff.objects.filter(
            article=OuterRef("pk"),
            content_hash=OuterRef("live_version__content_hash"),
            meaning=Meaning.APPROVED,
        )
        return (
            published_articles()
            .filter(Exists(approval), live_pending_review=False)
            .only("slug", "live_version__updated_at")
            .order_by("slug")
        )

    def location(self, item: Article) -> str:
        return canonical_path(item)

    def lastmod(self, item: Article) -> datetime:
        return item.live_version.updated_at

    def get_latest_lastmod(self) -> datetime | None:
        """For the index: one aggregate, where Django's default would load every article."""
        return self.items().aggregate(latest=Max("live_version__updated_at"))["latest"]


SITEMAPS: dict[str, type[Sitemap]] = {
    "pages": PagesSitemap,
    "policy": PolicySitemap,
    "articles": ArticleSitemap,
}
