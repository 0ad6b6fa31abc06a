"""HTTP caching for anonymous readers: CDN-cacheable renderings, 304s, nothing personal cached."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from articles.models import Article
from tests.factories import make_article, make_reference, publish_approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Article:
    return publish_approved(
        make_article(author=author, slug="alp", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def test_an_audience_rendering_is_public_cacheable_with_an_etag_and_no_cookie(
    client: Client, published: Article
) -> None:
    """?audience=<key> pages carry Cache-Control public, an ETag, and set no cookie."""
    response = client.get("/articles/alp/?audience=patient")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert response["ETag"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_a_conditional_request_answers_304(client: Client, published: Article) -> None:
    """Sending the ETag back gets an empty 304."""
    etag = client.get("/articles/alp/?audience=patient")["ETag"]
    again = client.get("/articles/alp/?audience=patient", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_the_etag_changes_when_the_page_changes(
    client: Client, published: Article, editor: Any
) -> None:
    """Unpublishing and a different audience both give a different answer than the cached one."""
    patient = client.get("/articles/alp/?audience=patient")["ETag"]
    assert client.get("/articles/alp/?audience=clinician")["ETag"] != patient


def test_the_bare_url_depends_on_the_cookie_so_it_is_private(
    client: Client, published: Article
) -> None:
    """Without ?audience the reader's cookie decides: Vary: Cookie and never shared."""
    response = client.get("/articles/alp/")
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]


def test_signed_in_users_never_get_shared_cache_headers(
    client: Client, published: Article, editor: Any
) -> None:
    """A page made for a signed-in person (it shows their name) is private."""
    client.force_login(editor)
    response = client.get("/articles/alp/?audience=patient")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_workspace_and_forms_are_private(client: Client, published: Article, author: Any) -> None:
    """The workspace and the report form (which sets the CSRF cookie) are never public."""
    assert "private" in client.get("/articles/alp/report/")["Cache-Control"]
    client.force_login(author)
    assert "private" in client.get("/workspace/")["Cache-Control"]


def test_home_board_and_policy_pages_are_public(client: Client, published: Article) -> None:
    """Other anonymous pages are cacheable too."""
    for url in ("/", "/board/"):
        assert "public" in client.get(url)["Cache-Control"], url


def test_a_request_with_a_session_cookie_is_answered_privately(
    client: Client, published: Article
) -> None:
    """Anyone carrying a session (even signed out) gets private answers: the CDN rule's other half."""
    client.cookies["sessionid"] = "whatever"
    assert "private" in client.get("/articles/alp/?audience=patient")["Cache-Control"]


def test_a_page_chosen_by_the_audience_cookie_is_private_and_varies(
    client: Client, published: Article
) -> None:
    """When the cookie, not the URL, picks the audience, shared caches must not keep the answer."""
    client.cookies["audience"] = "clinician"
    response = client.get("/articles/alp/")
    assert "private" in response["Cache-Control"] and "Cookie" in response["Vary"]
    assert "public" in client.get("/articles/alp/?audience=patient")["Cache-Control"]


class TestSharedPageCache:
    def test_the_second_anonymous_reader_costs_no_query(
        self, client: Client, published: Article, django_assert_num_queries: Any
    ) -> None:
        """The rendered ?audience= page is kept: the next anonymous reader gets it with 0 queries."""
        first = client.get("/articles/alp/?audience=patient")
        with django_assert_num_queries(0):
            second = Client().get("/articles/alp/?audience=patient")
        assert second.content == first.content and "public" in second["Cache-Control"]

    def test_signed_in_pages_are_neither_served_from_nor_stored_in_the_shared_cache(
        self, client: Client, published: Article, editor: Any
    ) -> None:
        """An editor sees their own page (with their name); anonymous readers never see it."""
        client.force_login(editor)
        assert "Sign out (editor)" in client.get("/articles/alp/?audience=patient").content.decode()
        assert "Sign out" not in Client().get("/articles/alp/?audience=patient").content.decode()

    def test_an_editorial_change_reaches_readers_at_once(
        self,
        client: Client,
        published: Article,
        editor: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """Unpublishing moves the epoch on commit: the cached page is not served any more."""
        from reviews.services.transitions import transition_apply

        assert client.get("/articles/alp/?audience=patient").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            transition_apply(article=published, user=editor, action="unpublish", note="Withdrawn.")
        assert client.get("/articles/alp/?audience=patient").status_code == 404

    def test_other_query_parameters_bypass_the_shared_cache(
        self, client: Client, published: Article, django_assert_max_num_queries: Any
    ) -> None:
        """Only the canonical URL shape is shared; anything else is rendered for the request."""
        client.get("/articles/alp/?audience=patient")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get("/articles/alp/?audience=patient&utm_source=x").status_code == 200
        assert len(queries) > 0
