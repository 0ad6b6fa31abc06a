"""The Redis cache backend production uses (REDIS_URL), against the machine's real Redis."""

from __future__ import annotations

import socket
import uuid

import pytest

from editorial.cache import RedisCache

REDIS = ("127.0.0.1", 6379)


def redis_running() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_running(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def cache() -> RedisCache:
    backend = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    backend.delete_many(["page", "epoch", "absent"])


def test_reads_and_writes_through_one_client_per_pool(cache: RedisCache) -> None:
    """One redis-py client serves every call (Django makes one per call)."""
    first = cache._cache.get_client("page")
    assert cache._cache.get_client("epoch", write=True) is first
    cache.set("page", b"<html>" * 1000, 60)
    assert cache.get("page") == b"<html>" * 1000
    assert cache.get("absent") is None


def test_counters_and_add_behave_as_djangos_backend(cache: RedisCache) -> None:
    assert cache.add("epoch", 7, None) is True
    assert cache.add("epoch", 9, None) is False
    assert cache.incr("epoch") == 8
    with pytest.raises(ValueError):
        cache.incr("absent")
