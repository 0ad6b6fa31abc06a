"""What the article page says about an article besides its text: related questions, topics and
authors, each list cached under the public-pages epoch (the events that change them move it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from articles.addresses import article_url
from articles.models import Article, CitationLink
from public.page_cache import public_pages_epoch


@dataclass(frozen=True)
class RelatedLink:
    """A related question as the page links it: the live title, pending review or not."""

    slug: str
    title: str
    pending_review: bool

    def get_absolute_url(self) -> str:
        return article_url(self.slug)


@dataclass(frozen=True)
class ArticleLinks:
    """What the page says about an article besides its text: related questions, topics and
    the authors' names. Each changes only with an event that moves the public-pages epoch
    (a publication, a topic or author change)."""

    related: list[RelatedLink]
    topics: list[tuple[str, str]]
    authors: list[str]


def article_links_key(*, article: Article, epoch: int) -> str:
    return f"article-links:{article.pk}:{article.live_version_id}:{epoch}"


def article_links(
    *, article: Article, epoch: int, prefetched: dict[str, Any] | None = None
) -> ArticleLinks:
    """The article's related questions, topics and authors: one cache entry per live version
    and epoch, else four small queries (two of them cached on their own)."""
    key = article_links_key(article=article, epoch=epoch)
    links = prefetched.get(key) if prefetched is not None else cache.get(key)
    if links is not None:
        return links
    chosen = list(article.live_version.related_ids or [])
    automatic = automatic_related_ids(article=article, epoch=epoch)
    related_ids = chosen + [pk for pk in automatic if pk not in chosen]
    related_ids = related_ids[: len(chosen) + AUTOMATIC_RELATED]
    related = (
        [
            RelatedLink(
                slug=a.slug, title=a.live_version.title, pending_review=a.live_pending_review
            )
            for a in sorted(
                Article.objects.filter(pk__in=related_ids, live_version__isnull=False)
                .select_related("live_version")
                .only("slug", "live_version__title", "live_pending_review"),
                key=lambda a: related_ids.index(a.pk),
            )
        ]
        if related_ids
        else []
    )
    links = ArticleLinks(
        related=related,
        topics=article_topics(article=article, epoch=epoch),
        authors=[
            author.get_full_name() or author.get_username()
            for author in article.authors.only("username", "first_name", "last_name")
        ],
    )
    # As long as the related and topic lists: a user's own name change moves no epoch.
    cache.set(key, links, RELATED_CACHE_SECONDS)
    return links


AUTOMATIC_RELATED = 5
RELATED_CACHE_SECONDS = 60 * 60


def automatic_related_ids(
    *, article: Article, limit: int = AUTOMATIC_RELATED * 2, epoch: int | None = None
) -> list[int]:
    """Published articles that share topics or cited sources with this one, best first.

    A shared topic counts twice a shared source. Two indexed queries, cached until the set of
    published articles changes (the publication epoch moves).
    """
    epoch = public_pages_epoch() if epoch is None else epoch
    key = f"related:{article.pk}:{epoch}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    scores: dict[int, int] = {}
    for pk, shared in (
        Article.objects.filter(live_version__isnull=False, topics__articles=article)
        .exclude(pk=article.pk)
        .values_list("pk")
        .annotate(n=Count("topics", distinct=True))
    ):
        scores[pk] = scores.get(pk, 0) + 2 * shared
    for pk, shared in (
        CitationLink.objects.filter(
            reference_id__in=CitationLink.objects.filter(article=article).values("reference_id")
        )
        .exclude(article=article)
        .values_list("article_id")
        .annotate(n=Count("id"))
    ):
        scores[pk] = scores.get(pk, 0) + shared
    ranked = [pk for pk, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))][:limit]
    cache.set(key, ranked, RELATED_CACHE_SECONDS)
    return ranked


def article_topics(*, article: Article, epoch: int | None = None) -> list[tuple[str, str]]:
    """(name, slug) of the article's topics, cached until topics or publications change."""
    key = f"topics:{article.pk}:{public_pages_epoch() if epoch is None else epoch}"
    cached = cache.get(key)
    if cached is None:
        cached = list(article.topics.order_by("name").values_list("name", "slug"))
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    return cached
