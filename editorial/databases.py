"""The DATABASES setting, from the environment (DATABASE_URL, DATABASE_REPLICA_URL).

SQLite (the embedded default, which `make run`'s server and task worker write at once) runs in
WAL mode with IMMEDIATE transactions and a busy timeout, so two writers wait for each other
instead of failing with "database is locked" (README.md, "Quick start"). PostgreSQL goes through
editorial/postgresql (no `SELECT 1` per request, prepared plans). A replica, when configured,
is a second alias that tests mirror onto the primary (editorial.replicas routes to it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_settings(*, base_dir: Path, replica_url: str, conn_max_age: int) -> dict[str, Any]:
    """`default` from DATABASE_URL (SQLite under `base_dir` without it), and `replica`."""
    databases = {
        "default": dj_database_url.config(
            default=f"sqlite:///{base_dir / 'db.sqlite3'}",
            conn_max_age=conn_max_age,
            conn_health_checks=True,
        )
    }
    if replica_url:
        databases["replica"] = dj_database_url.parse(
            replica_url, conn_max_age=conn_max_age, conn_health_checks=True
        )
        # Tests run against the primary's test database only.
        databases["replica"]["TEST"] = {"MIRROR": "default"}
    for database in databases.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
        elif database["ENGINE"] == "django.db.backends.postgresql":
            database["ENGINE"] = "editorial.postgresql"
    return databases
