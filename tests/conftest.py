"""Role fixtures shared by every test module."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache, caches

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
