"""Lists of published articles (the index, a topic) and their counts, at a fixed cost per page.

Counting and deep OFFSETs are the costs of a list page that grow with the data; the paginators
here cache the count per publication epoch and read the back half of a list from its end.

A page of a list is also named by that epoch (`PublishedPaginator`, `page.fragment_key`): which
articles a page holds, in which order, and what each row shows (its frozen live version, whether
it is pending review) change only with something that moves the epoch (a publication, a
retirement, a workflow step), so the rendered rows are kept in each process under that key and a
page whose rows are kept runs no query at all: its rows are read only when the fragment is
rendered (a sliced queryset, or `LazyRows`).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404

from articles.models import Article, Topic
from articles.paging import LazyRows
from public.page_cache import epoch_get_many

# What a list row shows of an article. `.only()` replaces the fields of an earlier call, so a list
# that shows more names these and its own.
LIST_FIELDS = (
    "slug",
    "live_pending_review",
    "published_at",
    "live_version__title",
    "live_version__summary",
    "live_version__updated_at",
    "live_version__version",
)


def published_articles() -> QuerySet[Article]:
    """Articles with a live version, newest first, with only the columns a list shows."""
    return (
        Article.objects.filter(live_version__isnull=False)
        .select_related("live_version")
        .only(*LIST_FIELDS)
        .order_by("-published_at", "pk")
    )


def published_articles_with_review() -> QuerySet[Article]:
    """Published articles with what a review line needs too (the workflow, the live hash), for
    lists that say who reviewed each article: the read API's list and the feed."""
    return (
        published_articles()
        .select_related("workflow")
        .only(
            *LIST_FIELDS,
            "live_version__content_hash",
            "workflow__state",
            "workflow__last_reviewed_on",
        )
    )


def published_article_page(*, page_number: str | int | None, per_page: int = 20) -> Page:
    """A page of the index of published articles; a bad or past-the-end number is clamped.
    Its rows are read when first used (see the module's doc)."""
    return published_paginator(published_articles(), per_page=per_page).get_page(page_number)


class FromEitherEndPaginator(Paginator):
    """Reads a page in the back half of the list from the other end (the order reversed, then
    the rows put back): an OFFSET costs the rows it skips, so the last page of a long list costs
    what the first does and no page skips more than half the list. The rows of such a page are
    read when first used, as a sliced queryset's are."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count // 2 or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        backwards = self.object_list.reverse()[self.count - top : self.count - bottom]
        return self._get_page(LazyRows(lambda: list(backwards)[::-1]), number, self)


class PublishedPaginator(FromEitherEndPaginator):
    """Pages of published articles, each named for the fragment cache by the list (`scope`),
    the page size, the publication epoch they were counted under and its number
    (`page.fragment_key`)."""

    def __init__(self, object_list: Any, per_page: int, *, scope: str, epoch: int) -> None:
        super().__init__(object_list, per_page)
        self.scope, self.epoch = scope, epoch

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        page = super()._get_page(*args, **kwargs)
        page.fragment_key = f"{self.scope}:{self.per_page}:{self.epoch}:{page.number}"  # type: ignore[attr-defined]
        return page


# At most this stale where the epoch cannot reach every worker (a per-process cache, no Redis).
PUBLISHED_COUNT_SECONDS = 60


def published_count_key(*, epoch: int, scope: str) -> str:
    return f"published-count:{epoch}:{scope}"


def published_paginator(
    queryset: QuerySet[Article],
    *,
    per_page: int,
    scope: str = "all",
    epoch: int | None = None,
    prefetched: dict[str, Any] | None = None,
) -> PublishedPaginator:
    """A paginator over published articles whose count comes from the cache until the set of
    published articles changes (the publication epoch moves): counting every published article
    on each request is the one cost of a list page that grows with the data. `scope` names the
    subset (a topic) the queryset holds; `prefetched` what one `get_many` already read."""
    if epoch is None:
        epoch, prefetched = epoch_get_many(
            lambda epoch: [published_count_key(epoch=epoch, scope=scope)]
        )
    key = published_count_key(epoch=epoch, scope=scope)
    paginator = PublishedPaginator(queryset, per_page, scope=scope, epoch=epoch)
    count = prefetched.get(key) if prefetched is not None else cache.get(key)
    if count is None:
        count = paginator.count
        cache.set(key, count, PUBLISHED_COUNT_SECONDS)
    paginator.__dict__["count"] = count
    return paginator


def page_with_count(queryset: QuerySet[Any], *, page_number: Any, per_page: int) -> Page:
    """A page of `queryset` and its paginator, in one query: each row carries the total
    (COUNT(*) OVER ()), so no separate COUNT is run. A number past the end gives the last page
    and anything that is not a number the first, as Paginator.get_page does."""
    try:
        number = max(1, int(page_number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset.annotate(total_rows=Window(Count("pk")))[offset : offset + per_page])
    paginator = Paginator(queryset, per_page)
    if not rows:
        return paginator.get_page(number)  # empty, or past the end: Paginator counts and decides
    paginator.__dict__["count"] = rows[0].total_rows
    return Page(rows, number, paginator)


def topic_page(*, slug: str, page_number: Any, per_page: int = 20) -> tuple[Topic, Page]:
    """A topic and a page of its published articles; Http404 for a topic that does not exist.

    The topic and its count come from the cache under the public-pages epoch (saving a topic
    or publishing moves it), with the epoch, usually in one round trip (`epoch_get_many`); the
    page of articles is one query."""
    scope = f"topic:{slug}"
    epoch, prefetched = epoch_get_many(
        lambda epoch: [f"topic:{slug}:{epoch}", published_count_key(epoch=epoch, scope=scope)]
    )
    topic_key = f"topic:{slug}:{epoch}"
    topic = prefetched.get(topic_key)
    if topic is None:
        topic = Topic.objects.filter(slug=slug).first()
        if topic is None:
            raise Http404("No such topic.")
        cache.set(topic_key, topic, PUBLISHED_COUNT_SECONDS)
    articles = published_articles().filter(topics=topic)
    return topic, published_paginator(
        articles, per_page=per_page, scope=scope, epoch=epoch, prefetched=prefetched
    ).get_page(page_number)


def topics_with_articles() -> QuerySet[Topic]:
    """Topics holding a published article, by name, each with its count as `published`."""
    return (
        Topic.objects.filter(articles__live_version__isnull=False)
        .annotate(published=Count("articles", distinct=True))
        .order_by("name")
    )
