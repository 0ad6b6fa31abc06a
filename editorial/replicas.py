"""Reads from a PostgreSQL streaming replica, for anonymous readers of the public site only.

Installed by editorial.settings only when DATABASE_REPLICA_URL is set; without it there is one
database and none of this runs. `ReplicaMiddleware` decides, per request, whether the request may
read from the replica: an anonymous (no session cookie, no Authorization header) GET or HEAD of
a public page or of the read API, from a reader who has not written anything in the last
EDITORIAL_REPLICA_STICKY_SECONDS (a signed cookie set on every POST, PUT, PATCH or DELETE), and
only while the replica has replayed the writes behind the current public-pages epoch (see
`public.page_cache.replica_has_epoch`). `ReplicaRouter` then sends that request's reads to the
replica, except inside a transaction and after the request itself wrote; every write, every
migration and every other request stays on the primary.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from public.page_cache import REPLICA, pinned_epoch, public_pages_epoch, replica_has_epoch

PRIMARY = "default"
# Paths whose anonymous GETs may read the replica: the public site and the read API. Everything
# under these prefixes is private or a write path, whatever the method.
PRIMARY_PREFIXES = ("/admin/", "/workspace/", "/accounts/", "/references/", "/api/")
REPLICA_API_PREFIXES = ("/api/v1/articles",)
SAFE_METHODS = ("GET", "HEAD")
STICKY_COOKIE = "read_primary"
STICKY_SALT = "editorial.replicas.read-your-writes"
# Read through caches that writes empty on commit (not keyed by the public-pages epoch): a reader
# refilling one from a replica that has not yet replayed the write would keep the old value for
# the cache's whole lifetime. They are small and cached for an hour, so the primary barely
# notices.
PRIMARY_ONLY_MODELS = frozenset({"articles.Disclaimer", "articles.GlossaryTerm"})


@dataclass
class RequestReads:
    """What the router may do for the request being served."""

    replica: bool
    wrote: bool = False


_request_reads: ContextVar[RequestReads | None] = ContextVar("request_reads", default=None)


def reads_from_replica() -> bool:
    """Whether the request being served reads from the replica (outside transactions)."""
    state = _request_reads.get()
    return bool(state and state.replica and not state.wrote)


class ReplicaRouter:
    """Reads of a replica-eligible request go to the replica; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        state = _request_reads.get()
        if (
            state is None
            or not state.replica
            or state.wrote
            or model._meta.label in PRIMARY_ONLY_MODELS
            or self.in_transaction(connections[PRIMARY])
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        state = _request_reads.get()
        if state is not None:
            # Read what was just written: the rest of this request reads the primary.
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        # Both aliases hold the same rows.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        # The replica replays the primary's schema changes; it is read-only.
        return db == PRIMARY

    def in_transaction(self, connection: BaseDatabaseWrapper) -> bool:
        """Inside an atomic block reads must see the block's own writes and locks: primary."""
        return connection.in_atomic_block


def replica_eligible(request: HttpRequest) -> bool:
    """An anonymous reader's GET of a public page or of the read API, with no write of theirs
    in the read-your-writes window. Cheap: headers and cookies only, no query."""
    if request.method not in SAFE_METHODS:
        return False
    path = request.path_info
    if path.startswith(PRIMARY_PREFIXES) and not path.startswith(REPLICA_API_PREFIXES):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return False
    if STICKY_COOKIE in request.COOKIES:
        return (
            request.get_signed_cookie(
                STICKY_COOKIE,
                default=None,
                salt=STICKY_SALT,
                max_age=settings.EDITORIAL_REPLICA_STICKY_SECONDS,
            )
            is None
        )
    return True


class ReplicaMiddleware:
    """Decide where the request reads; after a write, keep the writer on the primary for a while.

    The public-pages epoch is read once here and pinned for the request when it reads the
    replica, so every cache key the request makes names an epoch the replica has replayed: a page
    rendered from a lagging replica is never stored under the newer epoch (see public.page_cache).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = RequestReads(replica=False)
        epoch = None
        if replica_eligible(request):
            epoch = public_pages_epoch()
            state.replica = replica_has_epoch(epoch)
        token = _request_reads.set(state)
        try:
            if state.replica:
                with pinned_epoch(epoch):
                    response = self.get_response(request)
            else:
                response = self.get_response(request)
        finally:
            _request_reads.reset(token)
        if request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                STICKY_COOKIE,
                "1",
                salt=STICKY_SALT,
                max_age=settings.EDITORIAL_REPLICA_STICKY_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
