"""The read replica: which requests read it, and that it never lets old content in under a new
epoch. The replica alias here is a real second connection (committed rows only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, connection, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from articles.models import Article, Disclaimer, GlossaryTerm
from editorial.replicas import (
    STICKY_COOKIE,
    ReplicaMiddleware,
    ReplicaRouter,
    reads_from_replica,
)
from public import page_cache
from public.page_cache import public_pages_changed, public_pages_epoch
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import (
    approve,
    logged_in,
    make_article,
    make_reference,
    make_user,
    publish_approved,
    role_groups_ensure,
)
from tests.test_deploy import run_manage

BOTH = ["default", "replica"]
URL = "/articles/read-here/?audience=patient"
API_URL = "/api/v1/articles/read-here/"


def probe(request: HttpRequest, **extra: str) -> dict[str, Any]:
    """Run the middleware around a view that reports where an article query would go."""
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["reads"] = Article.objects.all().db
        with transaction.atomic():
            seen["reads_in_atomic"] = Article.objects.all().db
        seen["disclaimer_reads"] = Disclaimer.objects.all().db
        seen["glossary_reads"] = GlossaryTerm.objects.all().db
        return HttpResponse("ok")

    seen["response"] = ReplicaMiddleware(view)(request)
    return seen


@pytest.mark.django_db
class TestWhichRequestsReadTheReplica:
    """Decided from the method, the path and the cookies alone: no query."""

    factory = RequestFactory()

    @pytest.mark.parametrize(
        "path",
        [
            "/articles/any/?audience=patient",
            "/",
            "/search/?q=bone",
            "/feed/",
            API_URL,
            "/sitemap.xml",
        ],
    )
    def test_an_anonymous_get_of_a_public_page_or_the_read_api_reads_the_replica(
        self, path: str
    ) -> None:
        assert probe(self.factory.get(path))["reads"] == "replica"

    @pytest.mark.parametrize(
        "path",
        [
            "/workspace/",
            "/admin/articles/article/",
            "/accounts/login/",
            "/api/v1/drafts/",
            "/api/v1/drafts/some-slug/",
            "/references/import/",
            "/api/v1/openapi.json",
        ],
    )
    def test_the_workspace_admin_sign_in_drafting_api_and_imports_read_the_primary(
        self, path: str
    ) -> None:
        assert probe(self.factory.get(path))["reads"] == "default"

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_write_request_reads_the_primary_and_keeps_the_writer_there(
        self, method: str
    ) -> None:
        seen = probe(getattr(self.factory, method)("/articles/any/report/"))
        assert seen["reads"] == "default"
        cookie = seen["response"].cookies[STICKY_COOKIE]
        assert cookie["max-age"] == settings.EDITORIAL_REPLICA_STICKY_SECONDS
        assert cookie["httponly"]

    def test_a_signed_in_reader_reads_the_primary(self) -> None:
        request = self.factory.get(URL, HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc")
        assert probe(request)["reads"] == "default"

    def test_an_api_client_with_a_token_reads_the_primary(self) -> None:
        request = self.factory.get(API_URL, HTTP_AUTHORIZATION="Bearer t0ken")
        assert probe(request)["reads"] == "default"

    def test_a_transaction_inside_a_replica_request_reads_the_primary(self) -> None:
        seen = probe(self.factory.get(URL))
        assert (seen["reads"], seen["reads_in_atomic"]) == ("replica", "default")

    def test_caches_emptied_on_commit_are_refilled_from_the_primary(self) -> None:
        """The disclaimer and the glossary are cached without the epoch in their keys: a stale
        replica read would be kept for an hour."""
        seen = probe(self.factory.get(URL))
        assert (seen["disclaimer_reads"], seen["glossary_reads"]) == ("default", "default")

    def test_after_writing_the_request_reads_what_it_wrote_from_the_primary(self) -> None:
        seen: list[str] = []

        def view(request: HttpRequest) -> HttpResponse:
            seen.append(Article.objects.all().db)
            seen.append(ReplicaRouter().db_for_write(Article))
            seen.append(Article.objects.all().db)
            return HttpResponse("ok")

        ReplicaMiddleware(view)(self.factory.get(URL))
        assert seen == ["replica", "default", "default"]

    def test_outside_a_request_everything_reads_the_primary(self) -> None:
        assert Article.objects.all().db == "default" and not reads_from_replica()

    def test_only_the_primary_is_migrated_and_rows_of_both_may_be_related(self) -> None:
        router = ReplicaRouter()
        assert router.allow_migrate("default", "articles")
        assert not router.allow_migrate("replica", "articles")
        one, other = Article(), Article()
        one._state.db, other._state.db = "replica", "default"
        assert router.allow_relation(one, other)


@pytest.mark.django_db
class TestReadYourWrites:
    factory = RequestFactory()

    def sticky_cookie(self) -> str:
        response = probe(self.factory.post("/articles/any/report/"))["response"]
        return response.cookies[STICKY_COOKIE].value

    def test_a_reader_who_just_wrote_reads_the_primary(self) -> None:
        request = self.factory.get(URL, HTTP_COOKIE=f"{STICKY_COOKIE}={self.sticky_cookie()}")
        assert probe(request)["reads"] == "default"

    def test_the_window_closes_after_the_configured_seconds(
        self, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings.EDITORIAL_REPLICA_STICKY_SECONDS = 5
        value = self.sticky_cookie()
        real_time = __import__("time").time
        monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() + 6)
        request = self.factory.get(URL, HTTP_COOKIE=f"{STICKY_COOKIE}={value}")
        assert probe(request)["reads"] == "replica"

    def test_a_forged_cookie_does_not_pin_anyone_to_the_primary(self) -> None:
        request = self.factory.get(URL, HTTP_COOKIE=f"{STICKY_COOKIE}=1")
        assert probe(request)["reads"] == "replica"


@pytest.fixture(scope="module", autouse=True)
def _role_groups_after_module(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The transactional tests here end with a flush: leave the role groups for later modules."""
    yield
    with django_db_blocker.unblock():
        role_groups_ensure()


@pytest.fixture
def published(db: Any) -> Article:
    role_groups_ensure()  # a transactional test's flush took them
    author, editor, reviewer = (
        make_user(Role.AUTHOR, username="author"),
        make_user(Role.EDITOR, username="editor", is_staff=True),
        make_user(Role.REVIEWER, username="reviewer"),
    )
    return publish_approved(
        make_article(
            author=author, slug="read-here", title="First title?", citations=[make_reference()]
        ),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )


def article_queries(ctx: CaptureQueriesContext) -> int:
    return sum('"articles_article"' in q["sql"] for q in ctx.captured_queries)


def queries_by_alias(fn: Callable[[], Any]) -> tuple[Any, dict[str, int]]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        result = fn()
    return result, {"default": article_queries(primary), "replica": article_queries(replica)}


@pytest.mark.django_db(transaction=True, databases=BOTH)
class TestRequestsOnTwoConnections:
    def test_an_anonymous_reader_gets_the_article_page_from_the_replica(
        self, client: Client, published: Article
    ) -> None:
        response, reads = queries_by_alias(lambda: client.get(URL))
        assert response.status_code == 200 and "First title?" in response.content.decode()
        assert reads["replica"] >= 1 and reads["default"] == 0

    def test_an_anonymous_api_client_gets_the_article_from_the_replica(
        self, client: Client, published: Article
    ) -> None:
        response, reads = queries_by_alias(lambda: client.get(API_URL))
        assert response.status_code == 200
        assert reads["replica"] >= 1 and reads["default"] == 0

    def test_a_signed_in_editor_reads_the_primary(self, published: Article) -> None:
        client = logged_in(get_user_model().objects.get(username="editor"))
        for path in (URL, "/workspace/", f"/workspace/articles/{published.slug}/"):
            response, reads = queries_by_alias(lambda: client.get(path))
            assert response.status_code == 200, path
            assert reads["replica"] == 0 and reads["default"] >= 1, path

    def test_the_next_read_after_a_post_comes_from_the_primary(
        self, client: Client, published: Article
    ) -> None:
        client.post("/search/")  # any write request, even a refused one
        response, reads = queries_by_alias(lambda: client.get(URL))
        assert response.status_code == 200
        assert reads["replica"] == 0 and reads["default"] >= 1


@pytest.fixture
def stale_replica(published: Article, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The replica as a copy of the database taken now: it never replays what comes after.

    Write-ahead log positions are played by numbers: each epoch move records the primary's, and
    the replica stays at the copy's until the test moves it."""
    if connection.vendor != "sqlite":
        pytest.skip("copies the SQLite test database; bench/replica.py runs a real PostgreSQL one")
    copy = tmp_path / "replica.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    replica = connections["replica"]
    replica.close()
    monkeypatch.setitem(replica.settings_dict, "NAME", str(copy))
    positions = {"default": 1, "replica": 1}
    monkeypatch.setattr(page_cache, "database_position", positions.__getitem__)
    monkeypatch.setattr(page_cache._ReplicaProgress, "epoch", None)
    yield positions
    replica.close()


def retitle(title: str) -> None:
    """Publish a new version with another title (as the editors would, on the primary)."""
    author, editor, reviewer = (
        get_user_model().objects.get(username=name) for name in ("author", "editor", "reviewer")
    )
    article = Article.objects.get(slug="read-here")
    draft_update(
        article=article,
        user=author,
        base_version=article.version,
        fields={"title": title},
        change_reason="Retitled",
    )
    article = Article.objects.get(pk=article.pk)
    approve(article, reviewer)
    transition_apply(article=article, user=editor, action="publish")


@pytest.mark.django_db(transaction=True, databases=BOTH)
class TestALaggingReplicaPoisonsNoCache:
    def test_a_lagging_replica_really_serves_the_old_version(
        self,
        client: Client,
        stale_replica: dict[str, int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The hazard: read from it regardless, and the old page is kept under the new epoch."""
        retitle("Second title?")
        monkeypatch.setattr("editorial.replicas.replica_has_epoch", lambda epoch: True)
        assert "First title?" in client.get(URL).content.decode()
        assert cache.get(f"page:{public_pages_epoch()}:testserver:read-here:patient")

    def test_until_the_replica_has_replayed_the_publication_readers_get_the_primary(
        self,
        client: Client,
        stale_replica: dict[str, int],
    ) -> None:
        stale_replica["default"] = 2  # the publication's commit is past the replica's position
        retitle("Second title?")
        for _ in range(2):  # rendered, then from the page cache
            response, reads = queries_by_alias(lambda: client.get(URL))
            assert "Second title?" in response.content.decode()
            assert reads["replica"] == 0
        assert "Second title?" in client.get(API_URL).content.decode()


@pytest.mark.django_db
class TestTheEpochAReplicaRequestUses:
    factory = RequestFactory()

    def test_a_replica_is_read_once_it_has_replayed_the_epochs_position(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        positions = {"default": 7, "replica": 5}
        asked: list[str] = []
        monkeypatch.setattr(page_cache, "separate_replica", lambda: True)
        monkeypatch.setattr(
            page_cache, "database_position", lambda alias: asked.append(alias) or positions[alias]
        )
        monkeypatch.setattr(page_cache._ReplicaProgress, "epoch", None)
        public_pages_changed()  # records the primary's position, 7, for the new epoch
        assert probe(self.factory.get(URL))["reads"] == "default"
        positions["replica"] = 7
        assert probe(self.factory.get(URL))["reads"] == "replica"
        asked.clear()
        assert probe(self.factory.get(URL))["reads"] == "replica"
        assert asked == []  # known to be replayed: no further question to either server

    def test_a_replica_that_does_not_answer_sends_readers_to_the_primary(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def position(alias: str) -> int:
            if alias == "replica":
                raise OperationalError("connection refused")
            return 3

        monkeypatch.setattr(page_cache, "separate_replica", lambda: True)
        monkeypatch.setattr(page_cache, "database_position", position)
        monkeypatch.setattr(page_cache._ReplicaProgress, "epoch", None)
        assert probe(self.factory.get(URL))["reads"] == "default"

    def test_the_epoch_checked_is_the_one_the_whole_request_keys_its_caches_with(self) -> None:
        """A publication during the request moves the epoch; what the request stores stays under
        the epoch its replica was checked for, never the newer one."""
        seen: list[int] = []

        def view(request: HttpRequest) -> HttpResponse:
            seen.append(public_pages_epoch())
            public_pages_changed()
            seen.append(public_pages_epoch())
            return HttpResponse("ok")

        before = public_pages_epoch()
        ReplicaMiddleware(view)(self.factory.get(URL))
        assert seen == [before, before]
        assert public_pages_epoch() != before


def test_without_a_replica_url_there_is_one_database_and_no_router() -> None:
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS, "
        "'editorial.replicas.ReplicaMiddleware' in s.MIDDLEWARE)"
    )
    env = {"DJANGO_DEBUG": "1"}
    plain = run_manage("shell", "--no-imports", "-c", code, env={**env, "DATABASE_REPLICA_URL": ""})
    assert plain.stdout.strip() == "['default'] [] False", plain.stderr
    replica_url = "postgres://reader@replica.internal:5432/editorial"
    both = run_manage(
        "shell", "--no-imports", "-c", code, env={**env, "DATABASE_REPLICA_URL": replica_url}
    )
    assert both.stdout.strip() == (
        "['default', 'replica'] ['editorial.replicas.ReplicaRouter'] True"
    ), both.stderr
