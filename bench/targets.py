"""The URLs under load: which ones, a check that each answers, and the interleaved load rotation.

Every URL is loaded once per round, round after round, so a slow minute on the machine touches
every URL alike; between URLs the server drains the queue a closed connection left behind.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.load import Loader
from bench.servers import http_get

# A page slower than this in-process (ms, p50) gets no warm-up: it would only queue requests.
SLOW_MS = 250
# The load pass with both page caches off (EDITORIAL_SHARED_PAGE_CACHE=0), as results name it.
NO_PAGE_CACHE = "no page cache"


def no_page_cache_subset(target: dict[str, Any]) -> bool:
    """What the no-page-cache pass loads: every anonymous page, and the constant-view floor."""
    return (target["kind"] != "floor" and not target.get("cookie")) or target["name"] == (
        "constant view (floor)"
    )


def build_targets(
    prepared: dict[str, Any], reads: dict[str, Any], *, base: str
) -> list[dict[str, Any]]:
    """The pages measure.py marks for load (with the session cookie of their user), then the
    two floors: the constant view and the same bytes as a static file."""
    targets = []
    drain_url = f"{base}/bench/constant/"
    inprocess = {p["name"]: p for p in reads["pages"]}
    for u in prepared["urls"]:
        if u["load"]:
            targets.append(
                {
                    "name": u["name"],
                    "url": base + u["path"],
                    "kind": u["kind"],
                    "drain": drain_url,
                    "cookie": prepared["cookies"].get(u["user"]) if u["user"] else None,
                    "slow": inprocess.get(u["name"], {}).get("ms_p50", 0) > SLOW_MS,
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
    return targets


def check_targets(targets: list[dict[str, Any]]) -> dict[str, Any]:
    """Every URL answers 200 before the load, and say what it answers (size, caching)."""
    checked = {}
    for t in targets:
        status, body, headers = http_get(t["url"], t.get("cookie"))
        if status != 200:
            raise SystemExit(f"{t['url']} answered {status}; not loading it")
        t["bytes"] = len(body)
        checked[t["name"]] = {"bytes": len(body), "cache_control": headers.get("Cache-Control", "")}
    return checked


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one measure over the runs of a URL."""
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
