"""The article page every anonymous reader of one `?audience=` URL gets, kept whole.

Two levels: the shared cache (Redis in production), which every app server sees, and a small
copy of the hottest pages in each process, which saves fetching a page of tens of kilobytes from
Redis on every request. Keys name the public-pages epoch, which is read from the shared cache on
every request: when anything public pages show changes the epoch moves, and every process stops
using its copies at once. Both levels also expire, since a page shows dates (a review falling
overdue) that no event announces.

With a read replica (editorial.replicas) the epoch comes from the shared cache at once while the
content comes from a replica that may not have replayed the write yet: a reader could then store
the old page under the new epoch, where it would stay. So each epoch move also records how far the
primary's write-ahead log had got (`replica_has_epoch` compares the replica's replay position with
it), and a request that reads the replica pins the epoch it checked for its whole duration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PUBLIC_PAGES_EPOCH_KEY = "public-pages:epoch"
# The alias of the read replica in settings.DATABASES, when there is one.
REPLICA = "replica"
EPOCH_POSITION_SECONDS = 24 * 60 * 60

_pinned_epoch: ContextVar[int | None] = ContextVar("pinned_public_pages_epoch", default=None)


def public_pages_changed() -> None:
    """Note that something public pages show may have changed (a publication, a workflow step,
    a sign-off, topics, a disclaimer, the glossary, a reviewer's profile): cached public pages,
    related-question and topic lists keyed by the old epoch are no longer used.

    Call it through transaction.on_commit, so no page is cached from data about to roll back.
    """
    # Taken after the commit, so it is at or past the commit's record in the log.
    position = database_position("default") if separate_replica() else None
    try:
        epoch = cache.incr(PUBLIC_PAGES_EPOCH_KEY)
    except ValueError:
        epoch = time.time_ns()
        cache.set(PUBLIC_PAGES_EPOCH_KEY, epoch, None)
    if position is not None:
        cache.set(_epoch_position_key(epoch), position, EPOCH_POSITION_SECONDS)


def public_pages_epoch() -> int:
    """The current epoch. Where the shared cache lost it (flushed, evicted), a new one starts from
    the clock, never from zero again: keys made under an earlier epoch stay unused, even in a
    process that still holds its own copy of them. Inside `pinned_epoch`, the pinned one."""
    pinned = _pinned_epoch.get()
    if pinned is not None:
        return pinned
    epoch = cache.get(PUBLIC_PAGES_EPOCH_KEY)
    if epoch is None:
        cache.add(PUBLIC_PAGES_EPOCH_KEY, time.time_ns(), None)
        epoch = cache.get(PUBLIC_PAGES_EPOCH_KEY, 0)
    return epoch


# The epoch this process read last: a guess at the current one (see `epoch_get_many`).
_last_epoch: int | None = None


def epoch_get_many(keys_for: Callable[[int], list[str]]) -> tuple[int, dict[str, Any]]:
    """The current epoch and the cache entries `keys_for(epoch)` names, in one round trip when
    the epoch has not moved since this process last read it (nearly always).

    The keys depend on the epoch, which must be read first: that is two round trips a page. So
    the keys are made from the epoch this process saw last and fetched together with the epoch
    itself; if the epoch read turns out to be another, the entries are fetched again under it.
    The epoch used is always the one read in this request, as with `public_pages_epoch`.
    """
    global _last_epoch  # noqa: PLW0603 - a per-process guess; a race costs a round trip
    pinned = _pinned_epoch.get()
    if pinned is not None:
        return pinned, cache.get_many(keys_for(pinned))
    guess = _last_epoch
    if guess is not None:
        found = cache.get_many([PUBLIC_PAGES_EPOCH_KEY, *keys_for(guess)])
        epoch = found.pop(PUBLIC_PAGES_EPOCH_KEY, None)
        if epoch == guess:
            return guess, found
    else:
        epoch = None
    if epoch is None:
        epoch = public_pages_epoch()
    _last_epoch = epoch
    return epoch, cache.get_many(keys_for(epoch))


@contextmanager
def pinned_epoch(epoch: int) -> Iterator[None]:
    """Within the block, `public_pages_epoch()` is `epoch` (a request reading the replica)."""
    token = _pinned_epoch.set(epoch)
    try:
        yield
    finally:
        _pinned_epoch.reset(token)


def separate_replica() -> bool:
    """Whether a read replica is configured that is not the primary's own database (the tests'
    mirror is)."""
    if REPLICA not in settings.DATABASES:
        return False
    primary, replica = connections["default"].settings_dict, connections[REPLICA].settings_dict
    return any(primary.get(k) != replica.get(k) for k in ("ENGINE", "HOST", "PORT", "NAME"))


def database_position(alias: str) -> int | None:
    """How far a PostgreSQL server has got in the primary's write-ahead log, in bytes: on the
    primary where it inserts next, on a streaming replica what it has replayed. None elsewhere."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            " ELSE pg_current_wal_insert_lsn() END, '0/0')"
        )
        position = cursor.fetchone()[0]
    return None if position is None else int(position)


def _epoch_position_key(epoch: int) -> str:
    return f"public-pages:position:{epoch}"


class _ReplicaProgress:
    """The newest epoch this process has seen the replica replay (replay only moves forward)."""

    epoch: int | None = None


def replica_has_epoch(epoch: int) -> bool:
    """Whether the replica holds every write that moved the public-pages epoch to `epoch`.

    Once per epoch and process, while the replica is up to date: one cache read and one tiny
    query on the replica (and one on the primary when the epoch's position was lost or not yet
    recorded; the primary's position now is as good a bound). Without a separate replica, or
    where positions are unknown (not PostgreSQL), yes.
    """
    if _ReplicaProgress.epoch == epoch or not separate_replica():
        return True
    needed = cache.get(_epoch_position_key(epoch))
    if needed is None:
        needed = database_position("default")
        if needed is None:
            return True
        cache.add(_epoch_position_key(epoch), needed, EPOCH_POSITION_SECONDS)
    try:
        replayed = database_position(REPLICA)
    except DatabaseError:
        # A replica that does not answer is no reason to fail a reader: the primary serves.
        logger.warning("The read replica did not answer; reading from the primary.", exc_info=True)
        return False
    if replayed is None or replayed < needed:
        return False
    _ReplicaProgress.epoch = epoch
    return True


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
