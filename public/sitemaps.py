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
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from articles.models import Article, SitePage
from public.feeds import canonical_path
from public.selectors.listing import published_articles
from public.selectors.review import live_reviews
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
    def items(self) -> list[Article]:
        # Read once per request: the index asks for the count and the latest date.
        if not hasattr(self, "_verified"):
            self._verified = self._verified_articles()
        return self._verified

    def _verified_articles(self) -> list[Article]:
        """Approved exactly as the article page shows it (selectors.review.live_reviews): not
        published pending review, and an approval on the live version that verifies against the
        audit key. The database narrows to articles with an approval on the live hash; the keyed
        check, which no query can make, is then done on those rows (one query for all of them).
        """
        approval = SignOff.objects.filter(
            article=OuterRef("pk"),
            content_hash=OuterRef("live_version__content_hash"),
            meaning=Meaning.APPROVED,
        )
        candidates = list(
            published_articles()
            .filter(Exists(approval), live_pending_review=False)
            .select_related("workflow")
            .only(
                "slug",
                "live_pending_review",
                "live_version__updated_at",
                "live_version__version",
                "live_version__content_hash",
                "workflow__state",
                "workflow__last_reviewed_on",
            )
            .order_by("slug")
        )
        reviews = live_reviews(candidates)
        return [article for article in candidates if reviews[article.pk].approved]

    def location(self, item: Article) -> str:
        return canonical_path(item)

    def lastmod(self, item: Article) -> datetime:
        return item.live_version.updated_at

    def get_latest_lastmod(self) -> datetime | None:
        """For the index: the newest of the verified articles (read once, as a page reads them)."""
        return max((self.lastmod(item) for item in self.items()), default=None)


SITEMAPS: dict[str, type[Sitemap]] = {
    "pages": PagesSitemap,
    "policy": PolicySitemap,
    "articles": ArticleSitemap,
}
