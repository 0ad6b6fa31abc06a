"""The shared article page: kept in the shared cache and, for the hottest pages, in each process."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from public import page_cache
from public.page_cache import LocalPages, public_pages_changed, public_pages_epoch
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import approve, make_article, make_reference, publish_approved

URL = "/articles/kept/?audience=patient"


@pytest.fixture
def published(author: Any, editor: Any, reviewer: Any) -> Any:
    return publish_approved(
        make_article(
            author=author, slug="kept", title="First title?", citations=[make_reference()]
        ),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


class TestLocalPages:
    def test_keeps_the_most_recently_used_pages_only(self) -> None:
        pages = LocalPages(size=2, seconds=60)
        pages.set("a", b"A")
        pages.set("b", b"B")
        assert pages.get("a") == b"A"  # now "b" is the least recently used
        pages.set("c", b"C")
        assert (pages.get("a"), pages.get("b"), pages.get("c")) == (b"A", None, b"C")

    def test_a_page_expires(self, monkeypatch: pytest.MonkeyPatch) -> None:
        now = [1000.0]
        monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
        pages = LocalPages(size=2, seconds=30)
        pages.set("a", b"A")
        now[0] += 29
        assert pages.get("a") == b"A"
        now[0] += 2
        assert pages.get("a") is None


@pytest.mark.django_db
class TestSharedPage:
    def test_a_repeat_request_takes_the_page_from_the_process_not_the_shared_cache(
        self,
        client: Client,
        published: Any,
        monkeypatch: pytest.MonkeyPatch,
        django_assert_num_queries: Any,
    ) -> None:
        first = client.get(URL)
        asked: list[str] = []
        real_get = cache.get
        monkeypatch.setattr(
            cache, "get", lambda key, *a, **k: asked.append(key) or real_get(key, *a, **k)
        )
        with django_assert_num_queries(0):
            again = client.get(URL)
        assert again.content == first.content and again.status_code == 200
        assert not [key for key in asked if key.startswith("page:")]  # only the epoch was read

    def test_a_publication_is_seen_at_once(
        self,
        client: Client,
        published: Any,
        author: Any,
        editor: Any,
        reviewer: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        assert "First title?" in client.get(URL).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            article = draft_update(
                article=published,
                user=author,
                base_version=published.version,
                fields={"title": "Second title?"},
                change_reason="Retitled",
            )
            approve(article, reviewer)
            transition_apply(article=article, user=editor, action="publish")
        assert "Second title?" in client.get(URL).content.decode()

    def test_a_lost_epoch_starts_a_new_one_never_an_old_one(self) -> None:
        """After a flush the epoch does not restart at a value an earlier page key used."""
        public_pages_changed()
        before = public_pages_epoch()
        cache.clear()
        after = public_pages_epoch()
        assert after != before and after == public_pages_epoch()
