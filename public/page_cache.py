"""The article page every anonymous reader of one `?audience=` URL gets, kept whole.

Two levels: the shared cache (Redis in production), which every app server sees, and a small
copy of the hottest pages in each process, which saves fetching a page of tens of kilobytes from
Redis on every request. Keys name the public-pages epoch, which is read from the shared cache on
every request: when anything public pages show changes the epoch moves, and every process stops
using its copies at once. Both levels also expire, since a page shows dates (a review falling
overdue) that no event announces.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.core.cache import cache

PUBLIC_PAGES_EPOCH_KEY = "public-pages:epoch"


def public_pages_changed() -> None:
    """Note that something public pages show may have changed (a publication, a workflow step,
    a sign-off, topics, a disclaimer, the glossary, a reviewer's profile): cached public pages,
    related-question and topic lists keyed by the old epoch are no longer used.

    Call it through transaction.on_commit, so no page is cached from data about to roll back.
    """
    try:
        cache.incr(PUBLIC_PAGES_EPOCH_KEY)
    except ValueError:
        cache.set(PUBLIC_PAGES_EPOCH_KEY, time.time_ns(), None)


def public_pages_epoch() -> int:
    """The current epoch. Where the shared cache lost it (flushed, evicted), a new one starts from
    the clock, never from zero again: keys made under an earlier epoch stay unused, even in a
    process that still holds its own copy of them."""
    epoch = cache.get(PUBLIC_PAGES_EPOCH_KEY)
    if epoch is None:
        cache.add(PUBLIC_PAGES_EPOCH_KEY, time.time_ns(), None)
        epoch = cache.get(PUBLIC_PAGES_EPOCH_KEY, 0)
    return epoch


SHARED_PAGE_SECONDS = 600
LOCAL_PAGE_SECONDS = 30
LOCAL_PAGES = 64


class LocalPages:
    """A bounded, expiring, thread-safe map of page key to body for one process."""

    def __init__(self, *, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._pages: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def set(self, key: str, body: bytes) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic() + self.seconds, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


local_pages = LocalPages(size=LOCAL_PAGES, seconds=LOCAL_PAGE_SECONDS)


def shared_page_get(key: str) -> bytes | None:
    body = local_pages.get(key)
    if body is None:
        body = cache.get(key)
        if body is not None:
            local_pages.set(key, body)
    return body


def shared_page_set(key: str, body: bytes) -> None:
    cache.set(key, body, SHARED_PAGE_SECONDS)
    local_pages.set(key, body)
