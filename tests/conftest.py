"""Role fixtures shared by every test module."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache, caches
from django.db import connections

from accounts.roles import Role
from public.page_cache import local_pages
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    caches["fragments"].clear()
    local_pages.clear()
    yield
    cache.clear()
    caches["fragments"].clear()
    local_pages.clear()


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A live server answers from its own thread, where Django refuses connections to aliases the
    test did not name: its anonymous pages read the replica alias, so live-server tests name it
    (their rows are committed, so the replica's own connection sees them)."""
    for item in items:
        if "live_server" not in getattr(item, "fixturenames", ()):
            continue
        marker = item.get_closest_marker("django_db")
        args, kwargs = (marker.args, dict(marker.kwargs)) if marker else ((), {"transaction": True})
        if kwargs.get("databases") is None:
            kwargs["databases"] = ["default", "replica"]
            item.add_marker(pytest.mark.django_db(*args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _replica_reads_see_the_test(request: pytest.FixtureRequest) -> Any:
    """The replica alias is the primary's own connection during a database test: the router
    decides as in production, and a replica read sees the test's uncommitted rows. Tests that
    name the replica in their databases get a connection of its own (committed rows only)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not DATABASE_FIXTURES & set(request.fixturenames):
        yield
        return
    if marker is not None and "replica" in (marker.kwargs.get("databases") or ()):
        yield
        return
    # Set up first and torn down last: its TestCase blocks the replica alias's own connection.
    request.getfixturevalue("_django_db_helper")
    replica = connections["replica"]
    connections["replica"] = connections["default"]
    yield
    connections["replica"] = replica


@pytest.fixture
def author(db: Any) -> Any:
    return make_user(Role.AUTHOR, username="author")


@pytest.fixture
def editor(db: Any) -> Any:
    return make_user(Role.EDITOR, username="editor", is_staff=True)


@pytest.fixture
def reviewer(db: Any) -> Any:
    return make_user(Role.REVIEWER, username="reviewer")


@pytest.fixture
def reviewer2(db: Any) -> Any:
    return make_user(Role.REVIEWER, username="reviewer2")


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings: Any, tmp_path_factory: Any) -> None:
    """Each test starts with no audit checkpoints: another test's heads name rows not here."""
    settings.EDITORIAL_AUDIT_CHECKPOINT_DIR = str(tmp_path_factory.mktemp("audit-checkpoints"))
