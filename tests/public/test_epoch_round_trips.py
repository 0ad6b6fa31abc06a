"""Reading the public-pages epoch with the entries it names: one round trip while it stays put,
and never an entry of an older epoch once it has moved."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from public import page_cache
from public.page_cache import epoch_get_many, pinned_epoch, public_pages_changed


class CountingCache:
    """The default cache, counting `get_many` and `get` calls (each one round trip to Redis)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.calls = 0
        self._inside = False
        for name in ("get", "get_many"):
            original = getattr(cache, name)

            def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                # The local-memory cache's get_many calls get: one call from outside counts.
                outer, self._inside = not self._inside, True
                self.calls += outer
                try:
                    return _original(*args, **kwargs)
                finally:
                    self._inside = not outer

            monkeypatch.setattr(cache, name, counted)


def _keys(epoch: int) -> list[str]:
    return [f"thing:{epoch}"]


@pytest.fixture
def counting(monkeypatch: Any) -> CountingCache:
    monkeypatch.setattr(page_cache, "_last_epoch", None)
    return CountingCache(monkeypatch)


def test_one_round_trip_once_the_process_has_seen_the_epoch(counting: CountingCache) -> None:
    epoch, _ = epoch_get_many(_keys)
    cache.set(f"thing:{epoch}", "kept")
    counting.calls = 0
    assert epoch_get_many(_keys) == (epoch, {f"thing:{epoch}": "kept"})
    assert counting.calls == 1


def test_after_the_epoch_moves_only_the_new_epochs_entries_are_used(
    counting: CountingCache,
) -> None:
    old, _ = epoch_get_many(_keys)
    cache.set(f"thing:{old}", "stale")
    public_pages_changed()
    new, found = epoch_get_many(_keys)
    assert new != old and found == {}
    cache.set(f"thing:{new}", "fresh")
    assert epoch_get_many(_keys) == (new, {f"thing:{new}": "fresh"})


def test_a_lost_epoch_starts_afresh_rather_than_reusing_the_guess(counting: CountingCache) -> None:
    old, _ = epoch_get_many(_keys)
    cache.set(f"thing:{old}", "stale")
    cache.delete(page_cache.PUBLIC_PAGES_EPOCH_KEY)
    new, found = epoch_get_many(_keys)
    assert new != old and found == {}


def test_a_pinned_epoch_is_used_as_it_is(counting: CountingCache) -> None:
    cache.set("thing:7", "pinned")
    with pinned_epoch(7):
        assert epoch_get_many(_keys) == (7, {"thing:7": "pinned"})
