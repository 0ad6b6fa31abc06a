"""In-process measurements on a generated database (run by bench/run.py; prints JSON).

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... .venv/bin/python bench/measure.py prepare --port 8700
    ... bench/measure.py reads --out reads.json     # queries per request (warm) and latency p50/p95
    ... bench/measure.py writes --out writes.json   # save a version, sign off, publish, diff: 5 vs 50 versions
    ... bench/measure.py storage --out storage.json # history bytes per version

`prepare` saves the featured article's page (the constant view's and the static file's bytes),
runs collectstatic into the bench STATIC_ROOT and creates the sessions the load generator sends.
Query counts come from Django's test Client under CaptureQueriesContext against the same
database and cache as the server: the second request of a URL is the warm count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bench.generation import BENCH_PASSWORD, FEATURED_SLUG, WRITE_PATH_SLUGS  # noqa: E402
from bench.pages import urls  # noqa: E402


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def session_cookie(username: str) -> str:
    """A signed-in session for the load generator, made by Django's own login() (so the
    session engine and the sign-in signal handlers see a normal sign-in), with the same
    SECRET_KEY as the server."""
    from importlib import import_module

    from django.contrib.auth import login
    from django.http import HttpRequest

    user = get_user_model().objects.get(username=username)
    request = HttpRequest()
    request.META.update(
        {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
        }
    )
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    # The first backend that can load a user back from the session (axes' comes first and
    # only refuses locked attempts: a session naming it would never sign in).
    from django.utils.module_loading import import_string

    backend = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    login(request, user, backend=backend)
    request.session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}"
    # The cookie must really sign in: the dashboard answers 200, not a redirect to sign-in.
    response = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie).get("/workspace/")
    assert response.status_code == 200, (
        f"session for {username} does not sign in ({response.status_code})"
    )
    return cookie


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    started = time.perf_counter()
    # The manifest first (pages name hashed static files), then the page, then the page's copy.
    call_command("collectstatic", interactive=False, clear=True, verbosity=0)
    client = Client(HTTP_HOST=f"127.0.0.1:{args.port}")
    response = client.get(f"/articles/{FEATURED_SLUG}/?audience=patient")
    assert response.status_code == 200, response.status_code
    body = response.content
    settings.BENCH_SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    settings.BENCH_SNAPSHOT.write_bytes(body)
    static_copy = settings.BENCH_EXTRA_STATIC / "bench" / "article.html"
    static_copy.parent.mkdir(parents=True, exist_ok=True)
    static_copy.write_bytes(body)
    call_command("collectstatic", interactive=False, verbosity=0)
    return {
        "snapshot_bytes": len(body),
        "collectstatic_seconds": round(time.perf_counter() - started, 1),
        "cookies": {"reviewer": session_cookie("reviewer"), "editor": session_cookie("editor")},
        "urls": [{k: u[k] for k in ("name", "path", "user", "load", "kind")} for u in urls()],
    }


def timed_requests(client: Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


TRANSACTION_CONTROL = (
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
)


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT and savepoints: round trips, but not queries in the usual sense."""
    return sql.lstrip().upper().startswith(TRANSACTION_CONTROL)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def reads(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    clients: dict[str | None, Client] = {}
    for url in urls():
        client = clients.setdefault(url["user"], client_for(url["user"]))
        page_cache = url.get("page_cache", settings.EDITORIAL_SHARED_PAGE_CACHE)
        with override_settings(EDITORIAL_SHARED_PAGE_CACHE=page_cache):
            # Read the captured queries at once: the next request outside the context clears
            # the log.
            with CaptureQueriesContext(connection) as cold:
                first = client.get(url["path"])
            queries_cold = sum(not is_transaction_control(q["sql"]) for q in cold.captured_queries)
            assert first.status_code == 200, (url["path"], first.status_code)
            with CaptureQueriesContext(connection) as warm:
                second = client.get(url["path"])
            sql_warm = [q["sql"][:300] for q in warm.captured_queries]
            times = timed_requests(client, url["path"], args.repeat)
        results.append(
            {
                **{k: url[k] for k in ("name", "path", "user", "load", "kind")},
                "queries_cold": queries_cold,
                "queries_warm": sum(not is_transaction_control(q) for q in sql_warm),
                "statements_warm": len(sql_warm),
                "sql_warm": sql_warm,
                "bytes": len(second.content),
                "cache_control": second.get("Cache-Control", ""),
                "ms_p50": round(statistics.median(times), 2),
                "ms_p95": round(pct(times, 95), 2),
            }
        )
    return {"repeat": args.repeat, "pages": results}


def writes(args: argparse.Namespace) -> dict[str, Any]:
    """Save a version, sign off (approve), publish and the diff view, on 5 and 50 versions."""
    from articles.models import Article
    from reviews.checks import article_checks
    from reviews.services.content import draft_update
    from reviews.services.transitions import transition_apply

    User = get_user_model()

    def fresh_user(username: str) -> Any:
        """A new user object per operation, as each request has (no per-object caches)."""
        return User.objects.get(username=username)

    editor_client = client_for("editor")
    out = []
    for _count, slug in sorted(WRITE_PATH_SLUGS.items()):
        article = Article.objects.get(slug=slug)
        author_name = article.authors.first().username
        versions_before = article.history.count()
        row: dict[str, Any] = {"slug": slug, "versions": versions_before}

        def measure(name: str, fn: Any) -> Any:
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                result = fn()
                row[f"{name}_ms"] = round((time.perf_counter() - started) * 1000, 1)
                sql = [q["sql"][:200] for q in ctx.captured_queries]
            row[f"{name}_queries"] = sum(not is_transaction_control(q) for q in sql)
            row[f"{name}_statements"] = len(sql)
            row[f"{name}_sql"] = sql
            return result

        texts = dict(article.texts)
        texts["patient"] += (
            f"\n\nAsk your doctor if you have questions. This is edit {versions_before + 1}."
        )
        author = fresh_user(author_name)
        article = measure(
            "save_version",
            lambda: draft_update(
                article=article,
                user=author,
                base_version=article.version,
                fields={"texts": texts},
                change_reason="Benchmark edit.",
                change_weight="minor",
            ),
        )
        # The reviewer's page runs the checks (readability is scored once per version) before the
        # signature: that is the normal path. The first-ever check of a version is measured too.
        fresh = Article.objects.get(pk=article.pk)
        measure("checks_first_time", lambda: article_checks(article=fresh))
        fresh = Article.objects.get(pk=article.pk)
        reviewer = fresh_user("reviewer")
        measure(
            "sign_off",
            lambda: transition_apply(
                article=fresh,
                user=reviewer,
                action="approve",
                password=BENCH_PASSWORD,
                note="Checked.",
                params={"content_hash": fresh.content_hash},
            ),
        )
        fresh = Article.objects.get(pk=article.pk)
        editor = fresh_user("editor")
        measure("publish", lambda: transition_apply(article=fresh, user=editor, action="publish"))
        diff = f"/workspace/articles/{slug}/diff/"
        assert editor_client.get(diff).status_code == 200
        measure("diff_view", lambda: editor_client.get(diff))
        hist = f"/workspace/articles/{slug}/history/"
        assert editor_client.get(hist).status_code == 200
        measure("history_view", lambda: editor_client.get(hist))
        row["versions_after"] = Article.objects.get(pk=article.pk).history.count()
        out.append(row)
    return {"write_paths": out}


def storage(args: argparse.Namespace) -> dict[str, Any]:
    from articles.models import Article, HistoricalArticle

    result: dict[str, Any] = {
        "versions": HistoricalArticle.objects.count(),
        "articles": Article.objects.count(),
    }
    if connection.vendor != "postgresql":
        return result
    with connection.cursor() as cursor:
        table = HistoricalArticle._meta.db_table
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s), "
            "coalesce(pg_total_relation_size(reltoastrelid), 0) FROM pg_class WHERE relname = %s",
            [table, table, table, table],
        )
        total, heap, indexes, toast = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index i JOIN pg_class c "
            "ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "WHERE i.indrelid = %s::regclass AND am.amname = 'gin'",
            [table],
        )
        (gin,) = cursor.fetchone()
        cursor.execute(
            f"SELECT coalesce(avg(octet_length(texts::text) + octet_length(title) + "
            f"octet_length(summary)), 0) FROM {table}"
        )
        (logical,) = cursor.fetchone()
        for name, model in (
            ("audit_events", "reviews_auditevent"),
            ("signoffs", "reviews_signoff"),
        ):
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{model}') FROM {model}")
            rows, size = cursor.fetchone()
            result[name] = {"rows": rows, "bytes": size}
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone()
    n = max(1, result["versions"])
    result.update(
        {
            "table_total_bytes": total,
            "heap_bytes": heap,
            "toast_bytes": toast,
            "index_bytes": indexes,
            "search_index_bytes": gin,
            "bytes_per_version": round(total / n),
            "bytes_per_version_without_search_indexes": round((total - gin) / n),
            "search_index_bytes_per_version": round(gin / n),
            "content_bytes_per_version_uncompressed": round(float(logical)),
            "database_bytes": database,
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["prepare", "reads", "writes", "storage"])
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per URL (reads)")
    parser.add_argument("--out")
    args = parser.parse_args()
    result = {"prepare": prepare, "reads": reads, "writes": writes, "storage": storage}[args.what](
        args
    )
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
