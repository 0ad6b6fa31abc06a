"""Django's PostgreSQL backend with prepared statements and a health check without a round trip.

Prepared statements: server-side binding sends parameters apart from the SQL, so the same query
text recurs and psycopg prepares it on its `prepare_threshold`-th use in a connection (2: a
query seen twice is likely to recur; psycopg keeps at most 100 per connection). PostgreSQL then
skips parsing and planning, which for the article page's one query (three tables) took 0.4-1.1
ms against 0.1 ms of execution (EXPLAIN ANALYZE on the 1,000-article bench database). Django
leaves psycopg's threshold off unless OPTIONS set it; here both are on unless OPTIONS say
otherwise or DATABASE_PREPARED_STATEMENTS=0 (PgBouncer in transaction mode needs 1.21 or later,
`max_prepared_statements`, for prepared statements).

The health check:
With `CONN_HEALTH_CHECKS`, Django runs `SELECT 1` on a persistent connection before the first
query of every request, so a connection the server closed while it was idle (PostgreSQL
restarted, `idle_session_timeout`, a pooler recycling it) is replaced instead of failing the
request. That is a round trip per request: on the bench (one sync worker, 2 shared cores) it
cost about 0.1 ms alone and up to a few ms when PostgreSQL's process had to wait for a core,
against a whole public page of a few ms.

Here the check only looks at the socket, without sending anything: a connection idle between
requests has nothing to read, so anything readable means the server spoke first, which it does
when it closes a session (PostgreSQL sends a FATAL error such as `terminating connection due to
administrator command`, then closes; a closed socket reads as end of file). Such a connection is
replaced as with Django's check. What neither check catches in time is a peer that vanished
silently (no FIN or RST reaches us): `SELECT 1` would then wait for TCP to give up as well. A
stray asynchronous message (a NOTICE, NOTIFY: the app uses neither) merely costs a reconnect.
"""

from __future__ import annotations

import os
import select
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from psycopg.pq import TransactionStatus


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> None:
        if os.environ.get("DATABASE_PREPARED_STATEMENTS", "1").strip().lower() not in {"0", "no"}:
            options = settings_dict.setdefault("OPTIONS", {})
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 2)
        super().__init__(settings_dict, alias)

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            # Mid-transaction (never between requests): Django's own check decides.
            return super().is_usable()
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        return not readable
