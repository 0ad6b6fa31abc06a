"""A hot single-row query compiled to SQL once per process, thread and database.

Every public page starts with one query by slug (the article with its live version and, for
the article page, its workflow). Building and compiling that queryset through the ORM
(`select_related`, `only`, `filter`, then the compiler's column list, joins and WHERE clause)
cost more than PostgreSQL's answer: on the 1,000-article bench database, in-process, about
2.0 ms to compile against 0.1 ms to execute and 0.4-1.1 ms to plan (EXPLAIN ANALYZE), and 4-5 ms
for `.first()` in all (measured on the 2-core machine under load; proportions, not absolutes).

`OneRow` keeps what the ORM compiled (the SQL, the columns and how they map onto the models)
and runs it again with the new slug: the same SQL text every time, which psycopg prepares on
the server after a few uses (see editorial/postgresql/base.py), so planning
goes too. Rows become model instances the way `ModelIterable` makes them (`from_db` and the
related populators), with the database's converters applied. The queryset still says what is
read, so a model or manager change shows up in the compiled SQL at the next process start.
The database is chosen per call by the routers, as for any ORM read (the replica router).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Stands for a parameter while compiling: never a real slug (slugs are [-a-z0-9]).
_SLOT = "\x00slot:{}\x00"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int | None, ...]  # for each SQL parameter, the argument it takes, or None
    compiler: Any
    converters: dict[int, Any]
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]
    fetch_mode: Any


class OneRow[M: Model]:
    """`OneRow(Article, lambda slug: Article.objects.filter(slug=slug)...)`: `.get(slug)` is the
    first row of that queryset as a model instance (with its select_related objects), or None.
    `build` must make a queryset whose parameters are exactly its arguments (the compiled SQL
    keeps every other parameter as it was the first time)."""

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], arity: int = 1) -> None:
        self._model = model
        self._build = build
        self._arity = arity
        # Per thread: a compiler belongs to the connection object it was made for.
        self._local = threading.local()

    def _compiled(self, db: str) -> _Compiled:
        cache: dict[str, _Compiled] = self._local.__dict__.setdefault("by_db", {})
        found = cache.get(db)
        if found is None:
            found = cache[db] = self._compile(db)
        return found

    def _compile(self, db: str) -> _Compiled:
        slots = [_SLOT.format(i) for i in range(self._arity)]
        queryset = self._build(*slots)[:1]
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fetch_mode = queryset._fetch_mode
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots.index(p) if p in slots else None for p in params),
            compiler=compiler,
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[f[0].target.attname for f in select[start:end]],
            populators=get_related_populators(klass_info, select, db, fetch_mode),
            fetch_mode=fetch_mode,
        )

    def get(self, *args: Any) -> M | None:
        db = router.db_for_read(self._model)
        compiled = self._compiled(db)
        params = [
            p if s is None else args[s]
            for p, s in zip(compiled.params, compiled.slots, strict=True)
        ]
        with connections[db].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        obj = compiled.model.from_db(
            db,
            compiled.init_list,
            row[compiled.start : compiled.end],
            fetch_mode=compiled.fetch_mode,
        )
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj  # type: ignore[return-value]
