"""editorial/postgresql: a connection the server closed between requests is replaced before the
next request queries, without a SELECT 1 on every request; the slug query is prepared."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.db import connection

from articles.models import Article
from public.selectors.compiled import OneRow

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the PostgreSQL backend's own health check"
    ),
    # The check runs between transactions, on a connection of its own.
    pytest.mark.django_db(transaction=True),
]


def _fresh_connection() -> object:
    connection.close()
    connection.ensure_connection()
    return connection.connection


def test_an_idle_healthy_connection_is_usable_without_a_round_trip(monkeypatch: Any) -> None:
    raw = _fresh_connection()

    def no_query(*args: Any, **kwargs: Any) -> None:
        pytest.fail("the health check sent a query")

    monkeypatch.setattr(raw, "execute", no_query)
    monkeypatch.setattr(raw, "cursor", no_query)
    assert connection.is_usable()


def test_a_connection_the_server_terminated_is_replaced_before_the_next_query() -> None:
    first = _fresh_connection()
    pid = first.info.backend_pid
    with _other() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye (FATAL, then end of file) reaches the socket.
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.is_usable()
    # As at the start of a request: the health check replaces it and the query succeeds.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection is not first


def _other() -> psycopg.Connection:
    """A second, plain connection to the same database."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def test_the_slug_query_is_prepared_on_the_server_after_a_few_uses() -> None:
    row = OneRow(Article, lambda slug: Article.objects.filter(slug=slug).order_by())
    for _ in range(4):
        row.get("no-such-article")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [s for (s,) in cursor.fetchall()]
    assert any('"articles_article"."slug" = $1' in s for s in statements), statements
