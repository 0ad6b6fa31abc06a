"""`make bench`: generate data, serve it with gunicorn, load it, and report (Markdown).

    .venv/bin/python bench/run.py [--scales 1000 100000] [--workers 1 2] [--reps 3] [--duration 10]

For each scale: (1) bench/generate.py into `editorial_bench_<scale>` (dropped and re-created;
`--reuse-db` keeps an existing one); (2) in-process measurements with bench/measure.py: warm
queries per request and latency of every page, history storage per version; (3) gunicorn
(gunicorn.conf.py, sync workers: one, then two) on 127.0.0.1 with DEBUG off, PostgreSQL and Redis,
`DJANGO_SETTINGS_MODULE=bench.settings` (adds the two floors: a constant view returning the
article's HTML from memory, and the same bytes as a static file through whitenoise), loaded by
wrk (or the Python keep-alive client) with 8 connections, 10 s a run, 3 runs interleaved over
every URL, the Wagtail peer (../shared/peer-wagtail) included in the same rotation; (4) a shorter
pass without Redis; (5) the write paths on articles with 5 and 50 versions. Once per run: the
10,000-reference import (bench/import_references.py).

Results: bench/results/latest.md (and .json), printed at the end. Only loopback is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.load import Loader  # noqa: E402

PY = sys.executable
RESULTS = HERE / "results"
PEER_DIR = Path(os.environ.get("PEER_DIR", REPO.parent / "shared" / "peer-wagtail"))
PEER_HOME = os.environ.get("PEER_HOME", "/tmp/peer-wagtail")
PEER_SLUG = "understanding-chronic-fatigue-patterns"
DB_BASE = os.environ.get("BENCH_DATABASE_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def say(message: str) -> None:
    print(f"== bench: {message}", flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port(start: int) -> int:
    port = start
    while not port_free(port):
        port += 1
    return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_get(
    url: str, cookie: str | None = None, timeout: float = 30
) -> tuple[int, bytes, dict[str, str]]:
    """GET without following redirects (a redirect to sign-in must not pass for the page)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # loopback only
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


class Server:
    """Our gunicorn, started with gunicorn.conf.py; stopped by its own pid only."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": "1",
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_CONTROL_SOCKET": "off",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.port, self.workers, self.log = port, workers, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = str(Path(PY).with_name("gunicorn"))
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [gunicorn, "-c", str(REPO / "gunicorn.conf.py")],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited during start-up; see {self.log}")
            try:
                if http_get(f"http://127.0.0.1:{self.port}/bench/constant/", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Peer:
    """The Wagtail peer, through its own scripts (setup.sh, start.sh, stop.sh, bench.sh)."""

    def __init__(self, enabled: bool) -> None:
        self.dir = PEER_DIR
        self.present = enabled and all(
            (self.dir / f).exists() for f in ("setup.sh", "start.sh", "stop.sh")
        )
        self.port = 8765
        self.running = False
        self.note = (
            ""
            if self.present
            else (
                f"Wagtail peer not found at {self.dir}"
                if enabled
                else "Wagtail peer skipped (--no-wagtail)"
            )
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PEER_HOME": PEER_HOME, "PORT": str(self.port), **extra}

    def setup(self) -> None:
        if not self.present:
            return
        ready = (
            Path(PEER_HOME, "venv", "bin", "gunicorn").exists()
            and Path(PEER_HOME, "site", "snapshot", "article.html").exists()
        )
        if not ready:
            say(f"setting up the Wagtail peer ({self.dir}/setup.sh; needs PyPI, about a minute)")
            python = os.environ.get("PEER_PYTHON") or shutil.which("python3.11") or "python3"
            if (
                subprocess.run([str(self.dir / "setup.sh")], env=self.env(PYTHON=python)).returncode
                != 0
            ):
                self.present, self.note = (
                    False,
                    "Wagtail peer setup.sh failed (see its output above)",
                )

    def start(self, workers: int) -> None:
        if not self.present:
            return
        self.port = free_port(8765)
        result = subprocess.run(
            [str(self.dir / "start.sh")],
            env=self.env(WORKERS=str(workers), WORKER_CLASS="sync", THREADS="1"),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            self.note = f"Wagtail peer start.sh failed: {result.stderr.strip()[-300:]}"
            say(self.note)
            return
        self.running = True

    def stop(self) -> None:
        if self.running:
            subprocess.run([str(self.dir / "stop.sh")], env=self.env(), capture_output=True)
            self.running = False

    def urls(self) -> list[tuple[str, str]]:
        if not self.running:
            return []
        base = f"http://127.0.0.1:{self.port}"
        return [
            ("Wagtail page (peer)", f"{base}/{PEER_SLUG}/"),
            ("Wagtail static file (peer)", f"{base}/static/bench/article.html"),
            ("Wagtail constant view (peer)", f"{base}/bench/constant/"),
        ]

    def bench_sh(
        self, ours: str, *, duration: float, warmup: float, reps: int, conc: int, out: Path
    ) -> dict[str, Any]:
        """The peer's own bench.sh on our article page and its page, as a cross-check."""
        if not self.running or not (self.dir / "bench.sh").exists() or not shutil.which("wrk"):
            return {}
        env = self.env(
            DURATION=f"{duration:g}",
            WARMUP=f"{warmup:g}",
            REPS=str(reps),
            CONC=str(conc),
            THREADS="1",
            OUT=str(out),
        )
        result = subprocess.run(
            [
                str(self.dir / "bench.sh"),
                f"ours={ours}",
                f"wagtail=http://127.0.0.1:{self.port}/{PEER_SLUG}/",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        match = re.search(r"ratio req/s ours/wagtail = ([0-9.]+)", result.stdout)
        return {"stdout": result.stdout.strip(), "ratio": float(match.group(1)) if match else None}


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def drain(url: str, limit: float = 180) -> float:
    """Wait until the server answers its constant view quickly again.

    A sync worker keeps working through requests queued by connections wrk has already closed;
    after a slow page that backlog would be charged to the next URL. Returns the seconds waited.
    """
    started = time.time()
    while time.time() - started < limit:
        t0 = time.time()
        try:
            http_get(url, timeout=limit)
        except OSError:
            pass
        if time.time() - t0 < 0.1:
            break
    return round(time.time() - started, 1)


def load_rotation(
    loader: Loader, targets: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    """REPS rounds; each round runs every target once (warm-up discarded, then measured), and
    lets the server drain its queue before the next target."""
    runs: dict[str, list[dict[str, Any]]] = {t["name"]: [] for t in targets}
    for rep in range(1, args.reps + 1):
        for t in targets:
            if args.warmup > 0 and not t.get("slow"):
                loader.run(t["url"], duration=args.warmup, conc=args.conc, cookie=t.get("cookie"))
                drain(t["drain"])
            result = loader.run(
                t["url"], duration=args.duration, conc=args.conc, cookie=t.get("cookie")
            )
            result["drain_seconds"] = drain(t["drain"])
            if result["requests"] and t.get("bytes"):
                # wrk counts headers too; a page much smaller than expected was not the page.
                per = result["bytes"] / result["requests"]
                result["bytes_ok"] = per >= 0.9 * t["bytes"]
            runs[t["name"]].append(result)
            errors = int(
                sum(
                    result[k]
                    for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout")
                )
            )
            print(
                f"   rep {rep}  {t['name']:<32} {result['rps']:8.1f} req/s  p99 {result['p99_us'] / 1000:8.1f} ms"
                + (f"  ERRORS {errors}" if errors else "")
                + (
                    f"  (drained {result['drain_seconds']} s)"
                    if result["drain_seconds"] >= 1
                    else ""
                ),
                flush=True,
            )
    summary = {}
    for t in targets:
        r = runs[t["name"]]
        summary[t["name"]] = {
            "url": t["url"],
            "kind": t.get("kind", ""),
            "runs": r,
            "rps": round(median_of(r, "rps"), 1),
            "rps_min": round(min(x["rps"] for x in r), 1),
            "rps_max": round(max(x["rps"] for x in r), 1),
            "p50_ms": round(median_of(r, "p50_us") / 1000, 2),
            "p95_ms": round(median_of(r, "p95_us") / 1000, 2),
            "p99_ms": round(median_of(r, "p99_us") / 1000, 2),
            "errors": int(
                sum(
                    x[k]
                    for x in r
                    for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout")
                )
            ),
            "requests": int(sum(x["requests"] for x in r)),
            "bytes_ok": all(x.get("bytes_ok", True) for x in r),
        }
    return summary


def run_json(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return json.loads(out.stdout)


def reference_import(env: dict[str, str]) -> dict[str, Any]:
    script = HERE / "import_references.py"
    if not script.exists():
        return {"note": "bench/import_references.py not found"}
    say(
        "reference import: 10,000 RIS records into a throw-away database (bench/import_references.py)"
    )
    ienv = {k: v for k, v in env.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    ienv["DATABASE_URL"] = f"{DB_BASE}/editorial_bench_import"
    out = subprocess.run(
        [PY, str(script), "--records", "10000"], env=ienv, cwd=REPO, capture_output=True, text=True
    )
    print(out.stdout, flush=True)
    result: dict[str, Any] = {"stdout": out.stdout.strip(), "returncode": out.returncode}
    if out.returncode != 0:
        result["stderr"] = out.stderr[-2000:]
    match = re.search(r"first import\s+([0-9.]+) s", out.stdout)
    if match:
        result["first_import_seconds"] = float(match.group(1))
    return result


def bench_scale(
    scale: int, args: argparse.Namespace, loader: Loader, peer: Peer, run_id: str
) -> dict[str, Any]:
    bench_dir = Path(args.work_dir) / f"scale-{scale}"
    bench_dir.mkdir(parents=True, exist_ok=True)
    database_url = f"{DB_BASE}/editorial_bench_{scale}"
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
    if (args.reuse_db == [] or scale in (args.reuse_db or [])) and _db_ready(env):
        say(f"{scale:,} articles: reusing {result['database']} (migrate first)")
        if (
            subprocess.run(
                [PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=REPO
            ).returncode
            != 0
        ):
            raise SystemExit("migrate failed on the reused database")
        result["generate"] = {"reused": True}
        previous = Path(bench_dir / "generate.json")
        if previous.exists():
            result["generate"].update(json.loads(previous.read_text()))
    else:
        say(f"{scale:,} articles: generating into {result['database']}")
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
        result["generate"] = json.loads(stats_file.read_text())

    port = free_port(args.port)
    say("preparing: snapshot of the article page, collectstatic, sessions")
    prepared = run_json([PY, str(HERE / "measure.py"), "prepare", "--port", str(port)], env)
    result["snapshot_bytes"] = prepared["snapshot_bytes"]
    say("in-process: queries per request (warm) and latency")
    result["reads"] = run_json(
        [PY, str(HERE / "measure.py"), "reads", "--repeat", str(args.inprocess_repeat)], env
    )
    result["storage"] = run_json([PY, str(HERE / "measure.py"), "storage"], env)

    targets = []
    base = f"http://127.0.0.1:{port}"
    drain_url = f"{base}/bench/constant/"
    inprocess = {p["name"]: p for p in result["reads"]["pages"]}
    for u in prepared["urls"]:
        if u["load"]:
            targets.append(
                {
                    "name": u["name"],
                    "url": base + u["path"],
                    "kind": u["kind"],
                    "drain": drain_url,
                    "cookie": prepared["cookies"].get(u["user"]) if u["user"] else None,
                    # No warm-up for pages slower than this: it would only queue requests.
                    "slow": inprocess.get(u["name"], {}).get("ms_p50", 0) > 250,
                }
            )
    targets += [
        {"name": "constant view (floor)", "url": drain_url, "kind": "floor", "drain": drain_url},
        {
            "name": "static file, whitenoise (floor)",
            "url": f"{base}/static/bench/article.html",
            "kind": "floor",
            "drain": drain_url,
        },
    ]
    result["load"] = {}
    log = bench_dir / "gunicorn.log"
    for workers in args.workers:
        say(
            f"load: gunicorn sync x {workers} on :{port}, {loader.name}, {args.conc} connections, "
            f"{args.duration:g} s x {args.reps} interleaved (+{args.warmup:g} s warm-up each)"
        )
        server = Server(env, port, workers, log)
        server.start()
        peer.start(workers)
        try:
            checked = _check_targets(targets)
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
                say(
                    "cross-check with the peer's own bench.sh: our article page vs the Wagtail page"
                )
                entry["peer_bench_sh"] = peer.bench_sh(
                    targets[0]["url"],
                    duration=args.duration,
                    warmup=args.warmup,
                    reps=args.reps,
                    conc=args.conc,
                    out=bench_dir / f"peer-bench-{workers}w.tsv",
                )
            result["load"][str(workers)] = entry
        finally:
            server.stop()
            peer.stop()

    if not args.no_redis_pass:
        # The article page without the app's caches: no Redis at all (local-memory cache per
        # worker; the shared page cache is off without Redis), and Redis with the shared page
        # cache (EDITORIAL_SHARED_PAGE_CACHE) turned off, so the page is rendered every time.
        variants = [
            (
                "without Redis (local-memory cache)",
                {k: v for k, v in env.items() if k != "REDIS_URL"},
            ),
            ("Redis, shared page cache off", {**env, "EDITORIAL_SHARED_PAGE_CACHE": "0"}),
        ]
        result["load_variants"] = {}
        subset = [t for t in targets if t["name"] in ("article page", "constant view (floor)")]
        for label, variant_env in variants:
            say(f"load, 1 worker, {label}")
            server = Server(variant_env, port, 1, log)
            server.start()
            try:
                for t in subset:
                    http_get(t["url"], t.get("cookie"))
                result["load_variants"][label] = {
                    "workers": 1,
                    "targets": load_rotation(loader, subset, args),
                    "loadavg_after": load_average(),
                }
            finally:
                server.stop()

    say("in-process: write paths on 5 and 50 versions (saving a version, sign-off, publish, diff)")
    result["writes"] = run_json([PY, str(HERE / "measure.py"), "writes"], env)
    _forget_cache(env["CACHE_KEY_PREFIX"])
    return result


def _db_ready(env: dict[str, str]) -> bool:
    check = (
        "import django; django.setup(); from articles.models import Article; "
        "import sys; sys.exit(0 if Article.objects.filter(slug='bench-featured').exists() else 1)"
    )
    return subprocess.run([PY, "-c", check], env=env, cwd=REPO, capture_output=True).returncode == 0


def _check_targets(targets: list[dict[str, Any]]) -> dict[str, Any]:
    """Every URL answers 200 before the load, and say what it answers (size, caching)."""
    checked = {}
    for t in targets:
        status, body, headers = http_get(t["url"], t.get("cookie"))
        if status != 200:
            raise SystemExit(f"{t['url']} answered {status}; not loading it")
        t["bytes"] = len(body)
        checked[t["name"]] = {"bytes": len(body), "cache_control": headers.get("Cache-Control", "")}
    return checked


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=int, default=[1000])
    parser.add_argument("--versions", type=float, default=5.0, help="mean versions per article")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("WARMUP", 1)))
    parser.add_argument("--reps", type=int, default=int(os.environ.get("REPS", 3)))
    parser.add_argument("--conc", type=int, default=int(os.environ.get("CONC", 8)))
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--inprocess-repeat", type=int, default=30)
    parser.add_argument(
        "--reuse-db",
        nargs="*",
        type=int,
        metavar="SCALE",
        help="keep an existing editorial_bench_<scale> (all scales, or only those named)",
    )
    parser.add_argument("--no-wagtail", action="store_true")
    parser.add_argument("--no-peer-bench-sh", action="store_true")
    parser.add_argument("--no-redis-pass", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python client even if wrk is there"
    )
    parser.add_argument(
        "--work-dir", default=os.environ.get("BENCH_WORK_DIR", "/tmp/editorial-bench")
    )
    parser.add_argument("--out", default=str(RESULTS / "latest.md"))
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(50)

    started = time.time()
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    loader = Loader(prefer_wrk=not args.python_client)
    peer = Peer(enabled=not args.no_wagtail)
    peer.setup()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "client": loader.name,
        "cpus": os.cpu_count(),
        "loadavg_start": load_average(),
        "peer": peer.note or f"present ({PEER_DIR})",
        "settings": {
            k: getattr(args, k)
            for k in ("duration", "warmup", "reps", "conc", "workers", "versions")
        },
        "scales": {},
    }
    try:
        if not args.no_import:
            results["import"] = reference_import({**os.environ, "DJANGO_LOG_LEVEL": "WARNING"})
        for scale in args.scales:
            results["scales"][str(scale)] = bench_scale(scale, args, loader, peer, run_id)
            (RESULTS / f"scale-{scale}.json").write_text(
                json.dumps(results["scales"][str(scale)], indent=1, default=str)
            )
    finally:
        peer.stop()
    results["minutes"] = round((time.time() - started) / 60, 1)
    results["loadavg_end"] = load_average()
    from bench.report import markdown

    text = markdown(results, previous=_previous_scales(results))
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    print(text)
    say(f"done in {results['minutes']} min: {args.out}")


def _previous_scales(results: dict[str, Any]) -> dict[str, Any]:
    """Scales measured by an earlier run (bench/results/scale-<n>.json), for the p95 comparison."""
    found = {}
    for path in RESULTS.glob("scale-*.json"):
        scale = path.stem.split("-", 1)[1]
        if scale not in results["scales"]:
            try:
                found[scale] = json.loads(path.read_text())
            except (OSError, ValueError):
                pass
    return found


if __name__ == "__main__":
    main()
