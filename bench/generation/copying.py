"""Rows to tables: PostgreSQL's COPY for the bulk of the data, bulk_create elsewhere (SQLite).

Django's bulk_create on PostgreSQL sends each column of a batch as an array (INSERT ... SELECT
FROM UNNEST), and psycopg escapes every element of those arrays with a regular expression in
Python: for versions and renditions of tens of kilobytes each that escaping was the largest cost
of the whole generation. COPY streams the same values row by row, formatted by psycopg's C
implementation. Each value is what bulk_create would have written: the field's pre_save (for
add) then its get_db_prep_save, so defaults, auto_now_add and JSON encoding are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def write_rows(model: Any, objs: Sequence[Any], *, batch_size: int = 2000) -> None:
    """Insert `objs` (unsaved instances of `model`) in the current transaction."""
    if not objs:
        return
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk
    with_pk = [obj.pk is not None for obj in objs]
    if connection.vendor != "postgresql" or (any(with_pk) and not all(with_pk)):
        model.objects.bulk_create(objs, batch_size=batch_size)
        return
    if not with_pk[0]:
        fields = [f for f in fields if f is not pk]  # the identity column numbers them
    quote = connection.ops.quote_name
    sql = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        "FROM STDIN"
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
