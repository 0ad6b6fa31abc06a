"""The Atom feed of published updates: the latest publications, newest first."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from articles.audiences import default_audience
from articles.models import Article
from public.selectors.listing import published_articles_with_review
from public.selectors.review import LiveReview, live_reviews

FEED_LENGTH = 30
# Characters XML 1.0 cannot carry: Django refuses to write a feed holding one (a 500 for every
# reader of the feed), and the site's pages show them as nothing anyway.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """`value` without the control characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", value)


def canonical_path(article: Article) -> str:
    """The article's canonical address for readers arriving without a choice: the default audience.

    This is what the bare page names as canonical to a visitor without the audience cookie (a
    crawler, a feed reader), so links that leave the site use it directly.
    """
    return f"{article.get_absolute_url()}?audience={default_audience().key}"


class PublishedUpdatesFeed(Feed):
    """One entry per published article, in order of its latest publication.

    An entry's id names the published version, so a feed reader shows a new version of an
    article as a new entry rather than silently updating the old one.
    """

    feed_type = Atom1Feed
    item_guid_is_permalink = False

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=300"
        return response

    def title(self) -> str:
        return f"{settings.EDITORIAL_PUBLISHER_NAME}: published updates"

    def subtitle(self) -> str:
        return "Articles as our Medical Advisory Board signed them, newest publication first."

    def link(self) -> str:
        return reverse("public:home")

    def author_name(self) -> str:
        return settings.EDITORIAL_PUBLISHER_NAME

    def items(self) -> list[tuple[Article, LiveReview]]:
        articles = list(published_articles_with_review()[:FEED_LENGTH])
        reviews = live_reviews(articles)
        return [(article, reviews[article.pk]) for article in articles]

    def item_title(self, item: tuple[Article, LiveReview]) -> str:
        return xml_safe(item[0].live_version.title)

    def item_link(self, item: tuple[Article, LiveReview]) -> str:
        return canonical_path(item[0])

    def item_guid(self, item: tuple[Article, LiveReview]) -> str:
        # The configured site address, not the request's: an id must not change with the host name.
        article = item[0]
        return (
            f"{settings.SITE_URL}{canonical_path(article)}#version-{article.live_version.version}"
        )

    def item_updateddate(self, item: tuple[Article, LiveReview]) -> datetime | None:
        # When this version became what readers see; the feed is ordered by it.
        return item[0].published_at

    def item_description(self, item: tuple[Article, LiveReview]) -> SafeString:
        """The summary, and who medically reviewed the version and when (approved ones only).

        Atom carries this as HTML, so the editors' text is escaped here.
        """
        article, review = item
        summary = format_html("<p>{}</p>", xml_safe(article.live_version.summary))
        if not review.approved or review.last_reviewed is None:
            return format_html("{}<p>Published pending medical review.</p>", summary)
        reviewers = format_html_join(
            " and ", "{}", ((xml_safe(s.signature_name),) for s in review.approvals)
        )
        return format_html(
            "{}<p>Medically reviewed by {} on {}.</p>",
            summary,
            reviewers,
            format_date(review.last_reviewed, "j F Y"),
        )
