"""One scale of the benchmark: its data, the in-process measurements, the load passes, the writes.

Each step runs in a subprocess with the scale's environment (bench settings, its own database
and cache key prefix), so the runner itself never imports Django.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import DB_BASE, HERE, PY, REDIS_URL, REPO, load_average, say
from bench.load import Loader
from bench.servers import Peer, Server, free_port, http_get
from bench.targets import (
    NO_PAGE_CACHE,
    build_targets,
    check_targets,
    load_rotation,
    no_page_cache_subset,
)


def bench_scale(
    scale: int, args: argparse.Namespace, loader: Loader, peer: Peer, run_id: str
) -> dict[str, Any]:
    """Every measurement of one scale, as the report reads them."""
    bench_dir = Path(args.work_dir) / f"scale-{scale}"
    bench_dir.mkdir(parents=True, exist_ok=True)
    # BENCH_DATABASE_SUFFIX names a copy (createdb -T), so a run can write to its own.
    database_url = f"{DB_BASE}/editorial_bench_{scale}{os.environ.get('BENCH_DATABASE_SUFFIX', '')}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": args.secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"editorial-bench-{scale}-{run_id}",
        "BENCH_DIR": str(bench_dir),
    }
    result: dict[str, Any] = {"scale": scale, "database": database_url.rsplit("/", 1)[-1]}
    result["generate"] = generate_or_reuse(scale, args, env, bench_dir, result["database"])

    port = free_port(args.port)
    say("preparing: snapshot of the article page, collectstatic, sessions")
    prepared = run_json([PY, str(HERE / "measure.py"), "prepare", "--port", str(port)], env)
    result["snapshot_bytes"] = prepared["snapshot_bytes"]
    say("in-process: queries per request (warm) and latency")
    result["reads"] = run_json(
        [PY, str(HERE / "measure.py"), "reads", "--repeat", str(args.inprocess_repeat)], env
    )
    result["storage"] = run_json([PY, str(HERE / "measure.py"), "storage"], env)

    targets = build_targets(prepared, result["reads"], base=f"http://127.0.0.1:{port}")
    result["load"] = {}
    for workers in args.workers:
        result["load"][str(workers)] = load_pass(
            workers,
            targets,
            args,
            env=env,
            port=port,
            bench_dir=bench_dir,
            loader=loader,
            peer=peer,
        )
    if not args.no_redis_pass:
        result["load_variants"] = cache_variants(
            targets, args, env=env, port=port, bench_dir=bench_dir, loader=loader
        )

    say("in-process: write paths on 5 and 50 versions (saving a version, sign-off, publish, diff)")
    result["writes"] = run_json([PY, str(HERE / "measure.py"), "writes"], env)
    _forget_cache(env["CACHE_KEY_PREFIX"])
    return result


def generate_or_reuse(
    scale: int, args: argparse.Namespace, env: dict[str, str], bench_dir: Path, database: str
) -> dict[str, Any]:
    """Generate the scale's database (bench/generate.py), or reuse it when asked and ready;
    returns the generator's stats."""
    if (args.reuse_db == [] or scale in (args.reuse_db or [])) and _db_ready(env):
        say(f"{scale:,} articles: reusing {database} (migrate first)")
        if (
            subprocess.run(
                [PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=REPO
            ).returncode
            != 0
        ):
            raise SystemExit("migrate failed on the reused database")
        stats: dict[str, Any] = {"reused": True}
        previous = Path(bench_dir / "generate.json")
        if previous.exists():
            stats.update(json.loads(previous.read_text()))
        return stats
    say(f"{scale:,} articles: generating into {database}")
    stats_file = bench_dir / "generate.json"
    cmd = [
        PY,
        str(HERE / "generate.py"),
        "--articles",
        str(scale),
        "--versions",
        str(args.versions),
        "--stats-json",
        str(stats_file),
    ]
    if subprocess.run(cmd, env=env, cwd=REPO).returncode != 0:
        raise SystemExit("generation failed")
    return json.loads(stats_file.read_text())


def load_pass(
    workers: int,
    targets: list[dict[str, Any]],
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    port: int,
    bench_dir: Path,
    loader: Loader,
    peer: Peer,
) -> dict[str, Any]:
    """gunicorn with `workers` sync workers and the peer with as many, every URL in rotation;
    after the first pass, the peer's own bench.sh as a cross-check."""
    say(
        f"load: gunicorn sync x {workers} on :{port}, {loader.name}, {args.conc} connections, "
        f"{args.duration:g} s x {args.reps} interleaved (+{args.warmup:g} s warm-up each)"
    )
    server = Server(env, port, workers, bench_dir / "gunicorn.log")
    server.start()
    peer.start(workers)
    try:
        checked = check_targets(targets)
        rotation = targets + [
            {"name": n, "url": u, "kind": "peer", "drain": peer.urls()[-1][1]}
            for n, u in peer.urls()
        ]
        load_before = load_average()
        summary = load_rotation(loader, rotation, args)
        entry: dict[str, Any] = {
            "workers": workers,
            "targets": summary,
            "checks": checked,
            "loadavg_before": load_before,
            "loadavg_after": load_average(),
        }
        if workers == args.workers[0] and peer.running and not args.no_peer_bench_sh:
            say("cross-check with the peer's own bench.sh: our article page vs the Wagtail page")
            entry["peer_bench_sh"] = peer.bench_sh(
                targets[0]["url"],
                duration=args.duration,
                warmup=args.warmup,
                reps=args.reps,
                conc=args.conc,
                out=bench_dir / f"peer-bench-{workers}w.tsv",
            )
        return entry
    finally:
        server.stop()
        peer.stop()


def cache_variants(
    targets: list[dict[str, Any]],
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    port: int,
    bench_dir: Path,
    loader: Loader,
) -> dict[str, Any]:
    """Public pages without the app's page caches, one worker.

    NO_PAGE_CACHE: Redis, with EDITORIAL_SHARED_PAGE_CACHE=0, which turns off both the shared
    (Redis) and the per-process page cache, so every public page is assembled on every request;
    every anonymous page under load and the constant view. Then the article page without Redis
    at all (a local-memory cache per worker).
    """
    variants = [
        (NO_PAGE_CACHE, {**env, "EDITORIAL_SHARED_PAGE_CACHE": "0"}, no_page_cache_subset),
        (
            "without Redis (local-memory cache)",
            {k: v for k, v in env.items() if k != "REDIS_URL"},
            lambda t: t["name"] in ("article page", "constant view (floor)"),
        ),
    ]
    results: dict[str, Any] = {}
    for label, variant_env, chosen in variants:
        subset = [t for t in targets if chosen(t)]
        say(f"load, 1 worker, {label}: {', '.join(t['name'] for t in subset)}")
        server = Server(variant_env, port, 1, bench_dir / "gunicorn.log")
        server.start()
        try:
            for t in subset:
                http_get(t["url"], t.get("cookie"))
            results[label] = {
                "workers": 1,
                "targets": load_rotation(loader, subset, args),
                "loadavg_after": load_average(),
            }
        finally:
            server.stop()
    return results


def run_json(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a measuring subprocess and return the JSON it prints; stop the run if it fails."""
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return json.loads(out.stdout)


def _db_ready(env: dict[str, str]) -> bool:
    check = (
        "import django; django.setup(); from articles.models import Article; "
        "import sys; sys.exit(0 if Article.objects.filter(slug='bench-featured').exists() else 1)"
    )
    return subprocess.run([PY, "-c", check], env=env, cwd=REPO, capture_output=True).returncode == 0


def _forget_cache(prefix: str) -> None:
    """Delete this run's keys from Redis (only ours, by prefix; never FLUSHDB)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    except Exception as error:  # noqa: BLE001 - cleanup is best effort
        print(f"   (could not remove cache keys {prefix}:*: {error})")
