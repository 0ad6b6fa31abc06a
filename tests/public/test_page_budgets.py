"""Every public listing page costs at most 4 queries, the same with few or many items.

The article page, search, feeds, sitemap, read API and history have their own budget tests beside
their behaviour; these are the remaining public pages: home, topics, a topic, the board and an
editor-owned page such as the editorial policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from articles.models import SitePage, Topic
from reviews.services.topics import article_topics_set
from tests.factories import make_article, make_reference, make_user, publish_approved

pytestmark = pytest.mark.django_db

PUBLIC_PAGE_BUDGET = 4


def populate(n: int, *, author: Any, editor: Any, reviewer: Any) -> None:
    """n published articles under n topics (one shared), n board members, the policy pages."""
    shared = Topic.objects.create(name="Bones", slug="bones", description="Bone health.")
    reference = make_reference()
    for k in range(n):
        article = publish_approved(
            make_article(author=author, citations=[reference]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        own = Topic.objects.create(name=f"Topic {k}", slug=f"topic-{k}")
        article_topics_set(article=article, user=editor, topics=[shared, own])
        make_user(Role.REVIEWER)
    SitePage.objects.create(
        slug="editorial-policy", title="Editorial policy", body="How we **work**."
    )
    SitePage.objects.create(slug="about-the-board", title="The board", body="Who reviews.")


@pytest.mark.parametrize("n", [2, 25])
def test_public_page_query_count_is_small_and_flat(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    n: int,
    django_assert_max_num_queries: Any,
) -> None:
    populate(n, author=author, editor=editor, reviewer=reviewer)
    paths = ["/", "/topics/", "/topics/bones/", "/board/", "/pages/editorial-policy/"]
    if n > 20:  # 20 a page: the second pages exist
        paths += ["/?page=2", "/topics/bones/?page=2"]
    for path in paths:
        with django_assert_max_num_queries(PUBLIC_PAGE_BUDGET, info=path):
            response = client.get(path)
        assert response.status_code == 200, path


def test_the_published_count_is_kept_until_a_publication_changes_it(
    author: Any,
    editor: Any,
    reviewer: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Counting every published article is the one cost of a list that grows with the data:
    a repeat asks only for its page, and a new publication is counted at once."""
    from public.selectors import published_article_page

    def publish() -> None:
        with django_capture_on_commit_callbacks(execute=True):  # the epoch moves on commit
            publish_approved(
                make_article(author=author, citations=[make_reference()]),
                author=author,
                editor=editor,
                reviewers=[reviewer],
            )

    for _ in range(4):
        publish()
    assert published_article_page(page_number=1, per_page=2).paginator.num_pages == 2
    with django_assert_num_queries(1):  # the page; no COUNT
        assert len(published_article_page(page_number=2, per_page=2).object_list) == 2
    publish()
    assert published_article_page(page_number=3, per_page=2).paginator.num_pages == 3


def test_pages_in_the_back_half_are_read_from_the_other_end_with_the_same_rows(
    author: Any,
    editor: Any,
    reviewer: Any,
    django_assert_num_queries: Any,
) -> None:
    """Every page holds exactly what forward slicing gives, in the same order."""
    from public.selectors import published_article_page, published_articles

    for _ in range(7):
        publish_approved(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
    forward = [a.pk for a in published_articles()]
    published_article_page(page_number=1, per_page=2)  # counts once
    for number in (1, 2, 3, 4):
        with django_assert_num_queries(1):
            page = published_article_page(page_number=number, per_page=2)
            assert [a.pk for a in page] == forward[(number - 1) * 2 : number * 2]
        assert page.number == number and page.paginator.num_pages == 4


def test_a_list_page_kept_for_this_epoch_runs_no_query_and_a_publication_shows_at_once(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The rows of a page are rendered once for the publication epoch; the next publication
    moves the epoch, so the home and topic pages show it on the very next request."""
    with django_capture_on_commit_callbacks(execute=True):
        populate(2, author=author, editor=editor, reviewer=reviewer)
    for path in ("/", "/topics/bones/"):
        client.get(path)
        with django_assert_num_queries(0, info=path):
            assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        article = publish_approved(
            make_article(author=author, citations=[make_reference()], title="Brittle bones, new"),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        article_topics_set(article=article, user=editor, topics=[Topic.objects.get(slug="bones")])
    for path in ("/", "/topics/bones/"):
        assert "Brittle bones, new" in client.get(path).content.decode(), path
