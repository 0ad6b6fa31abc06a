"""The article page's one query, compiled once per process (public/selectors/compiled.py), reads
exactly what the ORM would: the same row, its related objects, the database's conversions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from public.selectors.compiled import OneRow
from tests.factories import make_article, publish_approved

pytestmark = pytest.mark.django_db


def _page_query(slug: str) -> Any:
    return (
        Article.objects.select_related("live_version", "workflow")
        .filter(slug=slug, live_version__isnull=False)
        .order_by()
    )


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> list[Article]:
    return [
        publish_approved(
            make_article(author=author, slug=slug), author=author, editor=editor, reviewers=[r]
        )
        for slug, r in (("first-one", reviewer), ("second-one", reviewer))
    ]


def test_each_slug_gets_its_own_row_with_the_live_version_and_workflow_in_one_query(
    published: list[Article],
) -> None:
    row = OneRow(Article, _page_query)
    for expected in published:
        with CaptureQueriesContext(connection) as queries:
            found = row.get(expected.slug)
            # Related objects came with the row: reading them queries nothing.
            version, workflow = found.live_version, found.workflow
        assert len(queries) == 1
        orm = _page_query(expected.slug).get()
        assert found.pk == orm.pk and found.slug == expected.slug
        assert version.pk == orm.live_version.pk
        # JSON columns come back converted, as through the ORM.
        assert version.related_ids == orm.live_version.related_ids
        assert isinstance(version.sources, type(orm.live_version.sources))
        assert version.updated_at == orm.live_version.updated_at
        assert workflow.state == orm.workflow.state


def test_the_same_sql_runs_for_every_slug_built_once(published: list[Article]) -> None:
    built: list[str] = []

    def build(slug: str) -> Any:
        built.append(slug)
        return _page_query(slug)

    row = OneRow(Article, build)
    with CaptureQueriesContext(connection) as queries:
        row.get("first-one")
        row.get("second-one")
    assert len(built) == 1
    first, second = (q["sql"] for q in queries.captured_queries)
    assert "first-one" in first and "second-one" in second
    assert first.replace("first-one", "second-one") == second


def test_an_unknown_or_unpublished_slug_gives_none(author: Any, published: list[Article]) -> None:
    make_article(author=author, slug="a-draft")
    row = OneRow(Article, _page_query)
    assert row.get("no-such-article") is None
    assert row.get("a-draft") is None
