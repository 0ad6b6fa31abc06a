"""The public history page: paginated, each publication with its own changes, in constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from articles.models import Article
from public.selectors import page_with_count
from reviews.models import AuditEvent
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import approve, make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db


def published_times(n: int, *, author: Any, editor: Any, reviewer: Any) -> Article:
    """An article published n times, version k carrying the change note "Change k"."""
    article = publish_approved(
        make_article(author=author, slug="often", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    for k in range(2, n + 1):
        article = draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": f"Summary {k}."},
            change_reason=f"Change {k}",
            change_weight="minor",
        )
        approve(article, reviewer)
        transition_apply(article=article, user=editor, action="publish")
    return Article.objects.get(pk=article.pk)


@pytest.mark.parametrize("publications", [2, 25])
def test_history_page_takes_at_most_four_queries_however_many_publications(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    publications: int,
    django_assert_max_num_queries: Any,
) -> None:
    published_times(publications, author=author, editor=editor, reviewer=reviewer)
    for page in ("1", "2") if publications > 20 else ("1",):
        with django_assert_max_num_queries(4):
            response = client.get(f"/articles/often/history/?page={page}")
        assert response.status_code == 200


def test_history_second_page_lists_each_publication_with_only_its_own_changes(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
) -> None:
    """Page 2 starts at version 5 (20 a page, newest first); its notes are its own, not page 1's."""
    published_times(25, author=author, editor=editor, reviewer=reviewer)
    first = client.get("/articles/often/history/").content.decode()
    assert "Version 25" in first and "Version 6" in first and "Version 5<" not in first
    assert "Page 1 of 2" in first
    second = client.get("/articles/often/history/?page=2").content.decode()
    assert "Page 2 of 2" in second and "Version 5" in second and "Version 6" not in second
    assert "Change 5" in second and "Change 6" not in second
    assert client.get("/articles/often/history/?page=99").content.decode().count("Page 2 of 2") == 1
    assert "Page 1 of 2" in client.get("/articles/often/history/?page=abc").content.decode()


class TestPageWithCount:
    def test_counts_in_the_same_query_as_the_rows(
        self, author: Any, editor: Any, reviewer: Any, django_assert_num_queries: Any
    ) -> None:
        published_times(3, author=author, editor=editor, reviewer=reviewer)
        events = AuditEvent.objects.order_by("pk")
        total, expected = events.count(), list(events.values_list("pk", flat=True)[2:4])
        with django_assert_num_queries(1):
            page = page_with_count(events, page_number=2, per_page=2)
            assert page.paginator.count == total and page.paginator.num_pages == (total + 1) // 2
            assert [e.pk for e in page] == expected
            assert page.has_previous() and page.number == 2

    def test_past_the_end_gives_the_last_page_and_nothing_gives_an_empty_first(
        self, author: Any
    ) -> None:
        make_article(author=author)
        events = AuditEvent.objects.order_by("pk")
        last = page_with_count(events, page_number=50, per_page=1)
        assert last.number == events.count() and list(last) == [events.last()]
        empty = page_with_count(AuditEvent.objects.none(), page_number=None, per_page=5)
        assert empty.number == 1 and list(empty) == [] and empty.paginator.count == 0
