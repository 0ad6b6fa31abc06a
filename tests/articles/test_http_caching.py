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
    return publish_approved(make_article(author=author, slug="alp", citations=[make_reference()]),
                            author=author, editor=editor, reviewers=[reviewer])


def test_an_audience_rendering_is_public_cacheable_with_an_etag_and_no_cookie(client: Client, published: Article) -> None:
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


def test_the_etag_changes_when_the_page_changes(client: Client, published: Article, editor: Any) -> None:
    """Unpublishing and a different audience both give a different answer than the cached one."""
    patient = client.get("/articles/alp/?audience=patient")["ETag"]
    assert client.get("/articles/alp/?audience=clinician")["ETag"] != patient


def test_the_bare_url_depends_on_the_cookie_so_it_is_private(client: Client, published: Article) -> None:
    """Without ?audience the reader's cookie decides: Vary: Cookie and never shared."""
    response = client.get("/articles/alp/")
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]


def test_signed_in_users_never_get_shared_cache_headers(client: Client, published: Article, editor: Any) -> None:
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


def test_a_request_with_a_session_cookie_is_answered_privately(client: Client, published: Article) -> None:
    """Anyone carrying a session (even signed out) gets private answers: the CDN rule's other half."""
    client.cookies["sessionid"] = "whatever"
    assert "private" in client.get("/articles/alp/?audience=patient")["Cache-Control"]


def test_a_page_chosen_by_the_audience_cookie_is_private_and_varies(client: Client, published: Article) -> None:
    """When the cookie, not the URL, picks the audience, shared caches must not keep the answer."""
    client.cookies["audience"] = "clinician"
    response = client.get("/articles/alp/")
    assert "private" in response["Cache-Control"] and "Cookie" in response["Vary"]
    assert "public" in client.get("/articles/alp/?audience=patient")["Cache-Control"]
