"""Without the page cache, public pages reuse rendered fragments of frozen content, and only that:
what can change (flags on sources, review status, publications) shows at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings

from articles.models import Article
from reviews.services.evidence import reference_flag
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    publish_revision,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings: Any) -> None:
    settings.EDITORIAL_SHARED_PAGE_CACHE = False


@pytest.fixture
def cited() -> Any:
    return make_reference()


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any, cited: Any) -> Article:
    return publish_approved(
        make_article(author=author, slug="low-alp", citations=[cited]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def test_the_article_page_takes_one_query_once_its_fragments_are_kept(
    client: Client, published: Article, django_assert_num_queries: Any
) -> None:
    """The article with its live version and workflow, read live; the rest is kept."""
    url = "/articles/low-alp/?audience=clinician"
    first = client.get(url)
    with django_assert_num_queries(1):
        second = client.get(url)
    assert second.content == first.content


def test_a_retraction_reaches_the_kept_bibliography_at_once(
    client: Client,
    published: Article,
    cited: Any,
    editor: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = "/articles/low-alp/?audience=clinician"
    assert "ref-flag" not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        reference_flag(reference=cited, user=editor, retracted_on=date(2026, 3, 2))
    page = client.get(url).content.decode()
    assert "Retracted on 2 March 2026" in page
    assert "A source this article relies on has been retracted" in page


def test_the_article_page_without_the_page_cache_is_the_page_with_it(
    client: Client, published: Article
) -> None:
    url = "/articles/low-alp/?audience=clinician"
    without = client.get(url).content
    with override_settings(EDITORIAL_SHARED_PAGE_CACHE=True):
        assert client.get(url).content == without  # rendered and stored
        assert client.get(url).content == without  # from the page cache


def test_a_new_publication_shows_in_the_kept_list_and_history_at_once(
    client: Client,
    published: Article,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert "Version 2" not in client.get("/articles/low-alp/history/").content.decode()
    home_before = client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        publish_revision(
            published,
            author=author,
            editor=editor,
            reviewer=reviewer,
            summary="A summary revised for readers.",
        )
    assert "A summary revised for readers." in client.get("/").content.decode()
    assert "A summary revised for readers." not in home_before
    history = client.get("/articles/low-alp/history/").content.decode()
    assert "Version 2" in history and "Revised." in history


def test_the_kept_history_costs_one_query_until_the_epoch_moves(
    client: Client, published: Article, django_assert_num_queries: Any
) -> None:
    """The article; the publications, versions and sign-offs only when the list is not kept."""
    first = client.get("/articles/low-alp/history/")
    with django_assert_num_queries(1):
        second = client.get("/articles/low-alp/history/")
    assert second.content == first.content
    assert client.get("/articles/low-alp/history/?page=2").status_code == 200


def test_an_approval_of_the_live_version_shows_at_once_with_the_kept_approvals(
    client: Client,
    author: Any,
    editor: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Published pending review, then approved and published: the trust line follows."""
    with django_capture_on_commit_callbacks(execute=True):
        article = submit_and_review(
            make_article(author=author, slug="early", citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        transition_apply(article=article, user=editor, action="publish_pending_review", note="x")
    url = "/articles/early/?audience=clinician"
    early = client.get(url).content.decode()
    assert "Not yet approved" in early and "Medically reviewed by" not in early
    with django_capture_on_commit_callbacks(execute=True):
        approve(Article.objects.get(pk=article.pk), reviewer)
        transition_apply(article=Article.objects.get(pk=article.pk), user=editor, action="publish")
    approved = client.get(url).content.decode()
    assert "Medically reviewed by" in approved and "Not yet approved" not in approved
