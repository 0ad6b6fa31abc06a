"""Proof on a real PostgreSQL streaming replica: readers on the replica, editors on the primary.

    .venv/bin/python bench/replica.py [--articles 40] [--duration 20] [--readers 4] [--workers 2]
                                      [--apply-delay-ms 300] [--publish-every 1] [--no-unguarded]

Self-contained and leaves nothing behind: it makes a throw-away primary cluster and a replica of
it (`initdb`, then `pg_basebackup -R`, each on a free port from 5434; as the `postgres` OS user
when run as root) under a scratch folder, never touching the PostgreSQL on 5432. It generates a
small database there (bench/generate.py), starts gunicorn with DATABASE_URL (primary) and
DATABASE_REPLICA_URL (replica), and for `--duration` seconds runs anonymous readers (article
pages and the read API) while an editor publishes new versions of one article through the
services every `--publish-every` seconds. `--apply-delay-ms` makes the replica replay each commit
that much later (recovery_min_apply_delay), a lag one can see on a quiet machine.

It reports replica lag (pg_stat_replication, sampled), requests per second, the queries each
server answered (a bench-only response header counts them per request; pg_stat_database counts
transactions) and two checks on every response: its version and content hash were published at
some time, and no request started after a publication completed got an older version. A second
pass without the epoch check (the replica read whatever its lag) shows what that check prevents.
Stops its servers and clusters and removes its folder and Redis keys, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from django.db import connections  # noqa: E402

from bench.common import PY, REDIS_URL, load_average  # noqa: E402
from bench.servers import Server, free_port, http_get  # noqa: E402

DB_NAME = "editorial_bench_replica"
HTML_VERSION = re.compile(
    rb'Version (\d+); content fingerprint \(SHA-256\) <code title="([0-9a-f]{64})"'
)


class ReadFromHeader:
    """Bench-only middleware (inside ReplicaMiddleware): counts each request's queries per
    server in an `X-Queries` header."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        counts = {"default": 0, "replica": 0}

        def count(alias: str, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counts[alias] += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for alias in counts:
                stack.enter_context(connections[alias].execute_wrapper(partial(count, alias)))
            response = self.get_response(request)
        response["X-Queries"] = f"{counts['default']} {counts['replica']}"
        return response


SETTINGS = '''"""bench/replica.py's gunicorn settings: bench.settings plus the query-count header."""
import os

from bench.settings import *  # noqa: F403

MIDDLEWARE.insert(
    MIDDLEWARE.index("editorial.replicas.ReplicaMiddleware") + 1, "bench.replica.ReadFromHeader"
)
if os.environ.get("BENCH_REPLICA_UNGUARDED") == "1":
    # The hazard, on purpose: read the replica whatever epoch it has replayed.
    import editorial.replicas

    editorial.replicas.replica_has_epoch = lambda epoch: True
'''


def pg_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("initdb not found: set PG_BIN to PostgreSQL's bin folder")


class Clusters:
    """A throw-away primary and its streaming replica, each stopped and removed by `close`."""

    def __init__(self, work: Path, apply_delay_ms: int) -> None:
        self.work, self.bin = work, pg_bin()
        self.primary_dir, self.replica_dir = work / "primary", work / "replica"
        self.started: list[Path] = []
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.primary_port = free_port(5434)
        self.replica_port = free_port(self.primary_port + 1)
        self.apply_delay_ms = apply_delay_ms

    def run(self, *args: str) -> None:
        cmd = [*self.as_postgres, str(self.bin / args[0]), *args[1:]]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")

    def start(self, data: Path, port: int) -> None:
        self.run("pg_ctl", "-D", str(data), "-l", f"{data}.log", "-o", f"-p {port}", "-w", "start")
        self.started.append(data)

    def open(self) -> None:
        if self.as_postgres:
            shutil.chown(self.work, "postgres")
        self.run(
            "initdb",
            "-D",
            str(self.primary_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        with (self.primary_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.work}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nshared_buffers = 64MB\n"
                "max_connections = 40\n"
            )
        self.start(self.primary_dir, self.primary_port)
        self.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(self.replica_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        if self.apply_delay_ms:
            with (self.replica_dir / "postgresql.auto.conf").open("a") as conf:
                conf.write(f"recovery_min_apply_delay = '{self.apply_delay_ms}ms'\n")
        self.start(self.replica_dir, self.replica_port)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"

    def close(self) -> None:
        for data in reversed(self.started):
            subprocess.run(
                [
                    *self.as_postgres,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                capture_output=True,
            )
        self.started.clear()


def sql(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url.replace(f"/{DB_NAME}", "/postgres"), autocommit=True) as conn:
        return conn.execute(query).fetchall()


def xacts(url: str) -> int:
    rows = sql(
        url, f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DB_NAME}'"
    )
    return int(rows[0][0])


def wait_caught_up(primary: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = sql(
            primary,
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication",
        )
        if rows and rows[0][0] is not None and rows[0][0] <= 0:
            return
        time.sleep(0.2)
    raise SystemExit("the replica did not catch up within a minute")


def sample_lag(primary: str, stop: threading.Event, out: list[tuple[float, int]]) -> None:
    """replay_lag (seconds) and bytes not yet replayed, every 100 ms."""
    import psycopg

    with psycopg.connect(primary.replace(f"/{DB_NAME}", "/postgres"), autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag), 0),"
                " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
            ).fetchone()
            if row:
                out.append((float(row[0]), int(row[1] or 0)))
            time.sleep(0.1)


def sample_replay(replica: str, stop: threading.Event, out: list[tuple[float, int]]) -> None:
    """The replica's replayed position every 10 ms, to time when each publication shows there."""
    import psycopg

    with psycopg.connect(replica.replace(f"/{DB_NAME}", "/postgres"), autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')").fetchone()
            out.append((time.monotonic(), int(row[0])))
            time.sleep(0.01)


def visible_after(commits: list[tuple[float, int]], replay: list[tuple[float, int]]) -> list[float]:
    """Seconds from each publication's return to the first sample of the replica holding it."""
    delays = []
    for done, position in commits:
        later = [t for t, replayed in replay if t >= done and replayed >= position]
        if later:
            delays.append(later[0] - done)
    return delays


def seen_version(body: bytes, api: bool) -> tuple[int, str] | None:
    if api:
        doc = json.loads(body)
        return doc["version"], doc["content_hash"]
    found = HTML_VERSION.search(body)
    return (int(found.group(1)), found.group(2).decode()) if found else None


def reader(
    base: str, urls: list[tuple[str, str, bool]], stop: threading.Event, out: list[dict[str, Any]]
) -> None:
    i = 0
    while not stop.is_set():
        slug, path, api = urls[i % len(urls)]
        i += 1
        started = time.monotonic()
        status, body, headers = http_get(base + path, timeout=30)
        primary_q, replica_q = (int(n) for n in headers.get("X-Queries", "0 0").split())
        out.append(
            {
                "slug": slug,
                "api": api,
                "status": status,
                "started": started,
                "seen": seen_version(body, api) if status == 200 else None,
                "primary_queries": primary_q,
                "replica_queries": replica_q,
            }
        )


def publisher(
    slug: str,
    every: float,
    stop: threading.Event,
    out: list[tuple[float, int, str]],
    commits: list[tuple[float, int]],
    durations: list[float],
) -> None:
    """New versions of one article through the services: edit, approve, publish."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from articles.models import Article
    from bench.generation import BENCH_PASSWORD
    from reviews.services.content import draft_update
    from reviews.services.transitions import transition_apply

    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["editor", "reviewer"])
    }
    k = 0
    while not stop.wait(every):
        k += 1
        begun = time.monotonic()
        article = Article.objects.get(slug=slug)
        author = article.authors.first()
        article = draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"summary": f"{article.summary.split(' [edit')[0]} [edit {k}]"},
            change_reason="Replica bench edit.",
            change_weight="minor",
        )
        fresh = Article.objects.get(pk=article.pk)
        transition_apply(
            article=fresh,
            user=users["reviewer"],
            action="approve",
            password=BENCH_PASSWORD,
            note="Checked.",
            params={"content_hash": fresh.content_hash},
        )
        fresh = Article.objects.get(pk=article.pk)
        transition_apply(article=fresh, user=users["editor"], action="publish")
        done = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
            commits.append((done, int(cursor.fetchone()[0])))
        durations.append(done - begun)
        live = Article.objects.select_related("live_version").get(pk=article.pk).live_version
        out.append((done, live.version, live.content_hash))
    connection.close()


def check(
    responses: list[dict[str, Any]], published: dict[str, list[tuple[float, int, str]]]
) -> dict[str, int]:
    """Never-published versions, and versions older than one published before the request
    (of those, how many came from the page cache without a query: a poisoned cache entry)."""
    never = stale = stale_cached = 0
    for r in responses:
        if r["seen"] is None:
            continue
        history = published[r["slug"]]
        if r["seen"] not in {(v, h) for _, v, h in history}:
            never += 1
        due = max((v for done, v, _ in history if done < r["started"]), default=0)
        if r["seen"][0] < due:
            stale += 1
            stale_cached += r["primary_queries"] + r["replica_queries"] == 0
    return {
        "never_published": never,
        "older_than_published_before_the_request": stale,
        "of_which_from_the_page_cache": stale_cached,
    }


def one_pass(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    primary: str,
    replica: str,
    guarded: bool,
    targets: list[tuple[str, str, bool]],
    edited: str,
) -> dict[str, Any]:
    import redis

    from articles.models import Article

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{env['CACHE_KEY_PREFIX']}:*"):
        client.delete(key)
    published = {
        slug: [(0.0, a.live_version.version, a.live_version.content_hash)]
        for slug in {t[0] for t in targets}
        for a in [Article.objects.select_related("live_version").get(slug=slug)]
    }
    server = Server(
        {**env, "BENCH_REPLICA_UNGUARDED": "0" if guarded else "1"},
        free_port(8790),
        args.workers,
        work / "gunicorn.log",
    )
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        for _, path, _ in targets:
            http_get(base + path)
        before = {"primary": xacts(primary), "replica": xacts(replica)}
        stop, lag, responses = threading.Event(), [], []
        replay: list[tuple[float, int]] = []
        commits: list[tuple[float, int]] = []
        durations: list[float] = []
        threads = [
            threading.Thread(target=sample_lag, args=(primary, stop, lag)),
            threading.Thread(target=sample_replay, args=(replica, stop, replay)),
        ]
        threads += [
            threading.Thread(
                target=reader,
                args=(
                    base,
                    targets[i % len(targets) :] + targets[: i % len(targets)],
                    stop,
                    responses,
                ),
            )
            for i in range(args.readers)
        ]
        threads.append(
            threading.Thread(
                target=publisher,
                args=(edited, args.publish_every, stop, published[edited], commits, durations),
            )
        )
        load = load_average()
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.duration)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        after = {"primary": xacts(primary), "replica": xacts(replica)}
    finally:
        server.stop()
    ok = [r for r in responses if r["status"] == 200]
    delays = sorted(visible_after(commits, replay))
    lags = sorted(s for s, _ in lag)
    behind = sorted(b for _, b in lag)
    return {
        "epoch_check": guarded,
        "requests": len(responses),
        "non_200": len(responses) - len(ok),
        "req_per_s": round(len(responses) / elapsed, 1),
        "publications": len(published[edited]) - 1,
        "requests_reading_replica": sum(r["replica_queries"] > 0 for r in ok),
        "requests_reading_primary": sum(r["primary_queries"] > 0 for r in ok),
        "requests_from_page_cache": sum(
            r["replica_queries"] + r["primary_queries"] == 0 for r in ok
        ),
        "queries": {
            "primary": sum(r["primary_queries"] for r in ok),
            "replica": sum(r["replica_queries"] for r in ok),
        },
        "transactions": {k: after[k] - before[k] for k in after},
        "publish_s_median": round(sorted(durations)[len(durations) // 2], 2) if durations else None,
        "visible_on_replica_after_s": {
            "median": round(delays[len(delays) // 2], 3) if delays else None,
            "max": round(delays[-1], 3) if delays else None,
        },
        "replay_lag_s": {
            "median": lags[len(lags) // 2] if lags else None,
            "max": lags[-1] if lags else None,
        },
        "bytes_behind": {
            "median": behind[len(behind) // 2] if behind else None,
            "max": behind[-1] if behind else None,
        },
        "load_average": load,
        **check(ok, published),
    }


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--apply-delay-ms", type=int, default=300)
    parser.add_argument("--publish-every", type=float, default=1.0)
    parser.add_argument(
        "--no-unguarded", action="store_true", help="skip the pass without the epoch check"
    )
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="editorial-replica-"))
    work.chmod(0o755)
    clusters = Clusters(work, args.apply_delay_ms)
    try:
        clusters.open()
        primary, replica = clusters.url(clusters.primary_port), clusters.url(clusters.replica_port)
        print(
            f"primary {primary}, replica {replica} (apply delay {args.apply_delay_ms} ms)",
            flush=True,
        )
        env = {
            **os.environ,
            "PYTHONPATH": f"{work}{os.pathsep}{REPO}",
            "DJANGO_SETTINGS_MODULE": "replica_bench_settings",
            "DJANGO_SECRET_KEY": "bench-replica-" + os.urandom(16).hex(),
            "DATABASE_URL": primary,
            "DATABASE_REPLICA_URL": replica,
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"bench-replica-{os.getpid()}",
            "BENCH_DIR": str(work / "bench"),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_PLAIN_STATIC": "1",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        (work / "replica_bench_settings.py").write_text(SETTINGS)
        snapshot = work / "bench" / "snapshot" / "article.html"
        snapshot.parent.mkdir(parents=True)
        snapshot.write_text("<!doctype html><title>bench</title>")  # Server's start-up probe
        started = time.monotonic()
        subprocess.run(
            [
                PY,
                str(REPO / "bench" / "generate.py"),
                "--articles",
                str(args.articles),
                "--jobs",
                "1",
                "--no-progress",
            ],
            env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_caught_up(primary)
        print(
            f"generated {args.articles} articles in {time.monotonic() - started:.0f} s; replica caught up",
            flush=True,
        )

        os.environ.update({k: env[k] for k in env if k != "PYTHONPATH"})
        sys.path.insert(0, str(work))
        import django

        django.setup()
        from bench.generation import FEATURED_SLUG, WRITE_PATH_SLUGS

        edited = WRITE_PATH_SLUGS[5]
        targets = [
            (edited, f"/articles/{edited}/?audience=patient", False),
            (edited, f"/api/v1/articles/{edited}/?audience=patient", True),
            (FEATURED_SLUG, f"/articles/{FEATURED_SLUG}/?audience=patient", False),
            (FEATURED_SLUG, f"/api/v1/articles/{FEATURED_SLUG}/?audience=clinician", True),
        ]
        passes = [True] if args.no_unguarded else [True, False]
        results = []
        for guarded in passes:
            result = one_pass(args, env, work, primary, replica, guarded, targets, edited)
            print(json.dumps(result), flush=True)
            results.append(result)
        report = {
            "articles": args.articles,
            "duration_s": args.duration,
            "readers": args.readers,
            "workers": args.workers,
            "apply_delay_ms": args.apply_delay_ms,
            "publish_every_s": args.publish_every,
            "passes": results,
        }
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=1))
    finally:
        clusters.close()
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"bench-replica-{os.getpid()}:*"):
                client.delete(key)
        except Exception as error:  # noqa: BLE001 - cleanup goes on
            print(f"could not remove the Redis keys: {error}")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
