"""The workspace epoch: names every cached dashboard count, and moves on every workflow write.

The counts on the workspace home (reviews waiting for me, overdue reviews, each state's queue,
unassigned submissions, re-reviews due) are aggregates over every workflow, assignment and
sign-off, so their cost grows with the publisher, and so does a page of the lists no index can
order (a reviewer's open reviews, the late reviews, the workload: each must look at every open
review). reviews.selectors.dashboard keeps those in the cache under this epoch, and the receivers
in reviews.signals move it after any write that could change one commits, so nothing kept is
older than the last commit: it is what the queries would give.
"""

from __future__ import annotations

import time

from django.core.cache import cache

WORKSPACE_EPOCH_KEY = "workspace:epoch"


def workspace_changed() -> None:
    """Note that a dashboard count may have changed; call it through transaction.on_commit."""
    try:
        cache.incr(WORKSPACE_EPOCH_KEY)
    except ValueError:
        cache.set(WORKSPACE_EPOCH_KEY, time.time_ns(), None)


def workspace_epoch() -> int:
    """The current epoch. Where the cache lost it (flushed, evicted), a new one starts from the
    clock, never from zero again, so counts kept under an earlier epoch are never read."""
    epoch = cache.get(WORKSPACE_EPOCH_KEY)
    if epoch is None:
        cache.add(WORKSPACE_EPOCH_KEY, time.time_ns(), None)
        epoch = cache.get(WORKSPACE_EPOCH_KEY, 0)
    return epoch
