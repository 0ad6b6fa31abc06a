"""SQLite with two writers at once (`make run`: the web server and the task worker share one
file): the settings' OPTIONS make the second writer wait its turn, never "database is locked"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

from editorial.databases import SQLITE_OPTIONS, database_settings


def _wrapper(path: Path, alias: str) -> DatabaseWrapper:
    settings_dict = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": dict(SQLITE_OPTIONS),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings_dict, alias=alias)


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Iterator[None]:
    """These tests open their own database files, never the test database."""
    with django_db_blocker.unblock():
        yield


def test_sqlite_connections_use_wal_and_immediate_transactions(tmp_path: Path) -> None:
    """A connection opened with the real settings' OPTIONS is in WAL mode and begins every
    transaction IMMEDIATE (takes the write lock up front)."""
    db = _wrapper(tmp_path / "db.sqlite3", "sqlite-settings")
    try:
        with db.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        assert db.transaction_mode == "IMMEDIATE"
    finally:
        db.close()


def test_default_sqlite_database_gets_the_sqlite_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default database, when it is SQLite (the default without DATABASE_URL), is configured
    with those OPTIONS, not only the test database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    default = database_settings(base_dir=tmp_path, replica_url="", conn_max_age=0)["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in default["OPTIONS"]["init_command"]


def test_two_read_then_write_transactions_at_once_do_not_lock(tmp_path: Path) -> None:
    """An autosave (reads the draft, then writes it) while the worker marks a task done (reads
    the task, then writes it): both transactions commit; neither fails with "database is
    locked", which a deferred transaction gets when it upgrades its read to a write."""
    path = tmp_path / "db.sqlite3"
    setup = _wrapper(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE task (id INTEGER PRIMARY KEY, status TEXT)")
        cursor.execute("INSERT INTO task VALUES (1, 'ready')")
    setup.close()

    first_has_read = threading.Event()
    errors: list[BaseException] = []

    def read_then_write(alias: str, status: str, *, first: bool) -> None:
        # Each thread its own connection, as the server and the worker have.
        connections[alias] = _wrapper(path, alias)
        try:
            if not first:
                first_has_read.wait(5)
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT status FROM task WHERE id = 1")
                cursor.fetchone()
                if first:
                    first_has_read.set()
                    time.sleep(0.3)  # the other writer starts meanwhile
                cursor.execute("UPDATE task SET status = %s WHERE id = 1", [status])
        except Exception as error:  # noqa: BLE001 - reported to the test's thread
            errors.append(error)
        finally:
            first_has_read.set()
            connections[alias].close()
            del connections[alias]

    threads = [
        threading.Thread(target=read_then_write, args=("web", "saved"), kwargs={"first": True}),
        threading.Thread(target=read_then_write, args=("worker", "done"), kwargs={"first": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [str(error) for error in errors] == []
