"""The Markdown report of a bench run (bench/run.py builds `results`; see bench/results/)."""

from __future__ import annotations

from typing import Any

# The load pass with both page caches off (EDITORIAL_SHARED_PAGE_CACHE=0: neither the shared nor
# the per-process page cache), as bench/scale.py names it; earlier runs called it this.
NO_PAGE_CACHE = "no page cache"
NO_PAGE_CACHE_BEFORE = "Redis, shared page cache off"
# The goals of issue #15 (page speed without the page cache, search, dashboards, generation):
# (what, the page, the pass it is read from, the least × constant).
RATIO_TARGETS = (
    ("search", "search", "main", 0.2),
    ("article page, no page cache", "article page", NO_PAGE_CACHE, 0.2),
    ("read API detail, no page cache", "read API detail", NO_PAGE_CACHE, 0.3),
    ("home page, no page cache", "home page", NO_PAGE_CACHE, 0.3),
    ("topic page, no page cache", "topic page", NO_PAGE_CACHE, 0.3),
    ("public history, no page cache", "article history (public)", NO_PAGE_CACHE, 0.2),
    ("reviewer dashboard", "reviewer dashboard", "main", 0.1),
    ("editor dashboard", "editor dashboard", "main", 0.1),
)
SEARCH_P95_MS_AT_LARGE = 50
# Searches held to that p95, the first always reported: results as served (kept under the
# epoch) and without kept results, each only where the run measured it.
SEARCH_AT_LARGE = (
    "search, a word in every article",
    "search, a word in every article, results not kept",
    "search",
    "search, results not kept",
)
DASHBOARD_P95_GROWTH = 1.5
GENERATION_MINUTES = 30
SMALL_SCALE, LARGE_SCALE = 1000, 100000

PUBLIC_PAGES = (
    "article page",
    "article page, no page cache",
    "home page",
    "search",
    "search, results not kept",
    "search, a word in every article",
    "search, a word in every article, results not kept",
    "read API detail",
    "article history (public)",
    "home page, last page",
    "read API list",
    "topic page",
)
SCALED = (
    "home page",
    "home page, last page",
    "search",
    "search, results not kept",
    "search, a word in every article",
    "search, a word in every article, results not kept",
    "read API list",
    "topic page",
    "reviewer dashboard",
    "editor dashboard",
    "version history (workspace)",
    "article page",
    "article page, no page cache",
    "read API detail",
    "article history (public)",
)
# The budgets of tests/reviews/test_query_budgets.py (15; signing 16 and publishing 18, for the
# reasons given there), plus, for signing and publishing, the one read of the user's role groups
# that the bench's freshly loaded user makes and the tests' already-loaded one does not.
WRITE_OPS = (
    ("save_version", "saving a version (draft_update)", 15),
    ("checks_first_time", "checks, first time for a version (readability scored)", None),
    ("sign_off", "signing off (transition_apply approve)", 16 + 1),
    ("publish", "publishing (transition_apply publish)", 18 + 1),
    ("diff_view", "diff view", 10),
    ("history_view", "version history view", None),
)


def yes(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**NOT met**")


def fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def markdown(results: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    previous = previous or {}
    lines: list[str] = []
    add = lines.append
    s = results["settings"]
    add(f"# Benchmark results ({results['started']})")
    add("")
    add(
        f"Machine: {results['cpus']} cores, shared by the server, PostgreSQL, Redis and the load generator. "
        f"Load average at start {results['loadavg_start']}, at end {results.get('loadavg_end', '?')} "
        "(other work on the machine lowers every number; compare ratios within one run). "
        f"Client: {results['client']}, {s['conc']} connections, {s['duration']:g} s per run after "
        f"{s['warmup']:g} s of warm-up, {s['reps']} runs interleaved over all URLs; medians, with min–max of req/s. "
        f"gunicorn sync workers (gunicorn.conf.py), DEBUG off, PostgreSQL, Redis cache. "
        f"Wagtail peer: {results['peer']}. Whole run: {results.get('minutes', '?')} min."
    )
    add("")
    for scale_key, r in results["scales"].items():
        lines.extend(scale_section(int(scale_key), r))
    all_scales = {**previous, **results["scales"]}
    lines.extend(scale_comparison(all_scales, fresh=set(results["scales"])))
    imp = results.get("import")
    if imp:
        add("## Reference import (bench/import_references.py, 10,000 RIS records)")
        add("")
        add("```")
        add(imp.get("stdout", "") or imp.get("note", ""))
        add("```")
        if imp.get("returncode"):
            add(f"(exit status {imp['returncode']}: {imp.get('stderr', '')[-300:]})")
        add("")
    lines.extend(targets(results, all_scales))
    add("## Issue #15 targets")
    add("")
    add(
        "Ratios are req/s over the constant view's in the same pass, one sync worker; *no page cache* "
        "is the pass with EDITORIAL_SHARED_PAGE_CACHE=0 (neither the shared nor the per-process page "
        "cache). Scales not in this run come from bench/results/scale-*.json."
    )
    add("")
    lines.extend(f"- {line}" for line in target_lines(all_scales))
    add("")
    return "\n".join(lines) + "\n"


def no_page_cache_pass(r: dict[str, Any]) -> dict[str, Any] | None:
    """The scale's load pass with both page caches off, if it ran."""
    variants = r.get("load_variants") or {}
    return variants.get(NO_PAGE_CACHE) or variants.get(NO_PAGE_CACHE_BEFORE)


def ratio_in(load: dict[str, Any] | None, name: str) -> float | None:
    """A page's req/s over the constant view's in the same pass (None if either is missing)."""
    if not load:
        return None
    page = load["targets"].get(name)
    floor = load["targets"].get("constant view (floor)")
    if not page or not floor or not floor.get("rps"):
        return None
    return page["rps"] / floor["rps"]


def issue_targets(scales: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue #15 with what was measured: {what, measured, target, met} (met None
    when not measured). Ratios at 1,000 articles, one worker; growth from 1,000 to 100,000."""
    out: list[dict[str, Any]] = []
    small = scales.get(str(SMALL_SCALE))
    large = scales.get(str(LARGE_SCALE))
    for what, name, pass_name, least in RATIO_TARGETS:
        load = None
        if small:
            load = (
                (small.get("load") or {}).get("1")
                if pass_name == "main"
                else no_page_cache_pass(small)
            )
        ratio = ratio_in(load, name)
        out.append(
            {
                "what": f"{what} at {SMALL_SCALE:,}",
                "measured": "not measured" if ratio is None else f"{ratio:.3f}×",
                "target": f">= {least}×",
                "met": None if ratio is None else ratio >= least,
            }
        )
    # The issue's search is a word in every article; earlier runs measured only the rarer one.
    for name in SEARCH_AT_LARGE:
        search = _in_process(large, name)
        if search is None and name != SEARCH_AT_LARGE[0]:
            continue
        out.append(
            {
                "what": f"{name}, in-process p95 at {LARGE_SCALE:,}",
                "measured": "not measured" if search is None else f"{search['ms_p95']:.1f} ms",
                "target": f"<= {SEARCH_P95_MS_AT_LARGE} ms",
                "met": None if search is None else search["ms_p95"] <= SEARCH_P95_MS_AT_LARGE,
            }
        )
    for name in ("reviewer dashboard", "editor dashboard"):
        a, b = _in_process(small, name), _in_process(large, name)
        growth = b["ms_p95"] / a["ms_p95"] if a and b and a["ms_p95"] else None
        out.append(
            {
                "what": f"{name}, in-process p95 at {LARGE_SCALE:,} against {SMALL_SCALE:,}",
                "measured": "not measured"
                if growth is None
                else f"{growth:.2f}× ({a['ms_p95']:.1f} → {b['ms_p95']:.1f} ms)",
                "target": f"<= {DASHBOARD_P95_GROWTH}×",
                "met": None if growth is None else growth <= DASHBOARD_P95_GROWTH,
            }
        )
    seconds = ((large or {}).get("generate") or {}).get("total_seconds")
    out.append(
        {
            "what": f"generating {LARGE_SCALE:,} articles",
            "measured": "not measured" if seconds is None else f"{seconds / 60:.1f} min",
            "target": f"< {GENERATION_MINUTES} min",
            "met": None if seconds is None else seconds < GENERATION_MINUTES * 60,
        }
    )
    return out


def target_lines(scales: dict[str, Any]) -> list[str]:
    """One line per goal of issue #15, e.g.
    "article page, no page cache at 1,000: 0.230× (target >= 0.2×) - met"."""
    verdict = {True: "met", False: "NOT met", None: "not measured"}
    return [
        f"{t['what']}: {t['measured']} (target {t['target']}) - {verdict[t['met']]}"
        if t["met"] is not None
        else f"{t['what']}: not measured (target {t['target']})"
        for t in issue_targets(scales)
    ]


def _in_process(scale: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not scale:
        return None
    return next((p for p in scale.get("reads", {}).get("pages", []) if p["name"] == name), None)


def scale_section(scale: int, r: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    add = lines.append
    g = r.get("generate", {})
    add(f"## {scale:,} articles")
    add("")
    if g.get("reused"):
        add(f"Data: reused database {r['database']}.")
    else:
        add(
            f"Data ({r['database']}, generated in {fmt(g.get('total_seconds'))} s; articles "
            f"{fmt(g.get('articles_seconds'))} s, search indexes {fmt(g.get('search_index_seconds'))} s): "
            f"{fmt(g.get('articles'))} articles, {fmt(g.get('versions'))} versions (history rows), "
            f"{fmt(g.get('audit_events'))} audit events, {fmt(g.get('signoffs'))} sign-offs, "
            f"{fmt(g.get('assignments'))} assignments, {fmt(g.get('comments'))} review comments, "
            f"{fmt(g.get('references'))} references, {fmt(g.get('citation_links'))} citation links, "
            f"{fmt(g.get('renditions'))} renditions. History rows in all (versions + audit events + "
            f"sign-offs + comments + assignments): "
            f"{fmt(sum(g.get(k, 0) or 0 for k in ('versions', 'audit_events', 'signoffs', 'comments', 'assignments')))}."
        )
    add("")
    reads = {p["name"]: p for p in r["reads"]["pages"]}
    loads = r.get("load", {})
    worker_keys = sorted(loads, key=int)
    no_cache = no_page_cache_pass(r)
    add("### Throughput")
    add("")
    header = "| endpoint | queries / request (warm) |"
    rule = "|---|---:|"
    for w in worker_keys:
        header += f" req/s ({w}w) | p99 ms ({w}w) | × constant ({w}w) |"
        rule += "---:|---:|---:|"
    if no_cache:
        header += " req/s, no page cache (1w) | × constant, no page cache (1w) |"
        rule += "---:|---:|"
    add(header)
    add(rule)
    names: list[str] = []
    for w in worker_keys:
        for name in loads[w]["targets"]:
            if name not in names:
                names.append(name)
    for name in names:
        q = reads.get(name, {}).get("queries_warm")
        if q is None and ("floor" in name or "constant" in name or "static" in name):
            q = 0 if "peer" not in name else None
        row = f"| {name} | {fmt(q)} |"
        for w in worker_keys:
            t = loads[w]["targets"].get(name)
            floor = loads[w]["targets"].get(
                "Wagtail constant view (peer)" if "peer" in name else "constant view (floor)"
            )
            if t is None:
                row += " – | – | – |"
                continue
            ratio = t["rps"] / floor["rps"] if floor and floor["rps"] else None
            err = f" ({t['errors']} errors)" if t["errors"] else ""
            if not t.get("bytes_ok", True):
                err += " (WARNING: answers smaller than the page)"
            if t.get("requests") is not None and t["requests"] < 30:
                err += f" ({t['requests']} requests in all)"
            row += (
                f" {fmt(t['rps'])} [{fmt(t['rps_min'])}–{fmt(t['rps_max'])}]{err} | {fmt(t['p99_ms'], 1)} |"
                f" {fmt(ratio, 3)} |"
            )
        if no_cache:
            t = no_cache["targets"].get(name)
            ratio = ratio_in(no_cache, name)
            row += f" {fmt(t['rps']) if t else '–'} | {fmt(ratio, 3)} |"
        add(row)
    add("")
    for w in worker_keys:
        t = loads[w]["targets"]
        ours, wag = t.get("article page"), t.get("Wagtail page (peer)")
        if ours and wag and wag["rps"]:
            add(
                f"- {w} worker(s): our article page / the Wagtail page = **{ours['rps'] / wag['rps']:.2f}×** "
                f"({fmt(ours['rps'])} vs {fmt(wag['rps'])} req/s); Wagtail page / its own constant view = "
                f"{wag['rps'] / t['Wagtail constant view (peer)']['rps']:.3f}. Load average {loads[w]['loadavg_before']} → "
                f"{loads[w]['loadavg_after']}."
            )
        peer = loads[w].get("peer_bench_sh") or {}
        if peer.get("ratio"):
            add(
                f"- {w} worker(s), the peer's own bench.sh (same settings, run right after): ours/wagtail = "
                f"**{peer['ratio']:.2f}×**."
            )
    checks = loads[worker_keys[0]]["checks"] if worker_keys else {}
    if checks:
        page = checks.get("article page", {})
        add(
            f"- Article page: {fmt(page.get('bytes'))} bytes, `Cache-Control: {page.get('cache_control', '')}`; "
            f"the floors serve the same {fmt(r.get('snapshot_bytes'))} bytes. Reviewer dashboard: "
            f"`Cache-Control: {checks.get('reviewer dashboard', {}).get('cache_control', '')}`."
        )
    add("")
    variants = r.get("load_variants") or (
        {"without Redis": r["load_no_redis"]} if r.get("load_no_redis") else {}
    )
    if variants:
        add("### Without the app's page caches, 1 worker")
        add("")
        add(
            "With `REDIS_URL` set the app keeps each anonymous `?audience=` article page whole in Redis "
            "and in each process (`EDITORIAL_SHARED_PAGE_CACHE`, on by default with Redis), so the article "
            f"page above is mostly that cache. *{NO_PAGE_CACHE}*: the same server with both page caches "
            "off, every anonymous page under load assembled on every request (from the cached rendition, "
            "the per-process fragments keyed by content hash, and live queries for the review status); "
            "then the article page without Redis at all."
        )
        add("")
        add("| configuration | endpoint | req/s | p99 ms | × constant |")
        add("|---|---|---:|---:|---:|")
        for label, v in variants.items():
            floor = v["targets"].get("constant view (floor)", {}).get("rps")
            for name, t in v["targets"].items():
                add(
                    f"| {label} | {name} | {fmt(t['rps'])} [{fmt(t['rps_min'])}–{fmt(t['rps_max'])}] | "
                    f"{fmt(t['p99_ms'])} | {fmt(t['rps'] / floor if floor else None, 3)} |"
                )
        add("")
    add("### Every page in-process (Django test client, one request at a time)")
    add("")
    add(
        f"{r['reads']['repeat']} timed requests per URL after two untimed ones; queries counted with "
        "CaptureQueriesContext on the first (cold) and second (warm) request."
    )
    add("")
    add("| page | who | queries cold | queries warm | p50 ms | p95 ms | bytes |")
    add("|---|---|---:|---:|---:|---:|---:|")
    for p in r["reads"]["pages"]:
        add(
            f"| {p['name']} (`{p['path']}`) | {p['user'] or 'anonymous'} | {p['queries_cold']} | {p['queries_warm']} | "
            f"{fmt(p['ms_p50'], 2)} | {fmt(p['ms_p95'], 2)} | {fmt(p['bytes'])} |"
        )
    add("")
    w = r.get("writes", {}).get("write_paths", [])
    if w:
        add("### Write paths (services and views, in-process)")
        add("")
        add(
            "| operation | "
            + " | ".join(f"{x['versions']} versions: queries (statements) | ms" for x in w)
            + " |"
        )
        add("|---|" + "---:|---:|" * len(w))
        for key, label, _ in WRITE_OPS:
            add(
                f"| {label} | "
                + " | ".join(
                    f"{x.get(key + '_queries', '–')} ({x.get(key + '_statements', '–')}) | {fmt(x.get(key + '_ms'))}"
                    for x in w
                )
                + " |"
            )
        add("")
        add(
            "Queries exclude BEGIN, COMMIT and savepoints; statements count every round trip. Each operation "
            "runs with freshly loaded users, as a request would. Signing off includes one PBKDF2 password "
            "check (the reviewer re-enters the password), which is most of its time."
        )
        add("")
    st = r.get("storage", {})
    if st.get("bytes_per_version"):
        add("### History storage")
        add("")
        add(
            f"- {fmt(st['versions'])} versions of {fmt(st['articles'])} articles: "
            f"**{fmt(st['bytes_per_version'])} bytes per version** in all "
            f"(table + TOAST + indexes = {st['table_total_bytes'] / 1e6:,.1f} MB), of which the four search "
            f"(GIN) indexes are {fmt(st['search_index_bytes_per_version'])} bytes per version; "
            f"{fmt(st['bytes_per_version_without_search_indexes'])} bytes per version without them. The content "
            f"itself is {fmt(st['content_bytes_per_version_uncompressed'])} bytes per version uncompressed "
            "(TOAST compresses it)."
        )
        add(
            f"- Audit events: {fmt(st['audit_events']['rows'])} rows, "
            f"{fmt(round(st['audit_events']['bytes'] / max(1, st['audit_events']['rows'])))} bytes per row; sign-offs: "
            f"{fmt(st['signoffs']['rows'])} rows, {fmt(round(st['signoffs']['bytes'] / max(1, st['signoffs']['rows'])))} bytes per row. "
            f"Database: {st['database_bytes'] / 1e6:,.0f} MB."
        )
        add("")
    return lines


def scale_comparison(scales: dict[str, Any], fresh: set[str]) -> list[str]:
    keys = sorted(scales, key=int)
    if len(keys) < 2:
        return []
    small, large = keys[0], keys[-1]
    lines = [f"## p95 at {int(large):,} articles against {int(small):,}", ""]
    if not ({small, large} <= fresh):
        lines += [
            f"(the {', '.join(k for k in (small, large) if k not in fresh)}-article figures come from an "
            "earlier run: bench/results/scale-*.json)",
            "",
        ]
    lines += [
        "| page | queries (small → large) | in-process p95 ms | ratio | HTTP p95 ms, 1 worker | ratio |",
        "|---|---|---|---:|---|---:|",
    ]
    a_reads = {p["name"]: p for p in scales[small]["reads"]["pages"]}
    b_reads = {p["name"]: p for p in scales[large]["reads"]["pages"]}
    a_load = (scales[small].get("load", {}).get("1") or {}).get("targets", {})
    b_load = (scales[large].get("load", {}).get("1") or {}).get("targets", {})
    for name in SCALED:
        if name not in a_reads or name not in b_reads:
            continue
        a, b = a_reads[name], b_reads[name]
        ratio = b["ms_p95"] / a["ms_p95"] if a["ms_p95"] else None
        http = ""
        hratio = None
        if name in a_load and name in b_load:
            http = f"{fmt(a_load[name]['p95_ms'])} → {fmt(b_load[name]['p95_ms'])}"
            hratio = (
                b_load[name]["p95_ms"] / a_load[name]["p95_ms"] if a_load[name]["p95_ms"] else None
            )
        lines.append(
            f"| {name} | {a['queries_warm']} → {b['queries_warm']} | {fmt(a['ms_p95'], 2)} → {fmt(b['ms_p95'], 2)} | "
            f"{fmt(ratio, 2)} | {http or '–'} | {fmt(hratio, 2)} |"
        )
    lines.append("")
    return lines


def targets(results: dict[str, Any], scales: dict[str, Any]) -> list[str]:
    lines = ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    add = lines.append
    for scale_key, r in results["scales"].items():
        label = f"{int(scale_key):,} articles"
        for w, entry in sorted(r.get("load", {}).items(), key=lambda kv: int(kv[0])):
            t = entry["targets"]
            page, floor = t.get("article page"), t.get("constant view (floor)")
            if page and floor:
                ratio = page["rps"] / floor["rps"]
                add(
                    f"| article page ≥ 0.6× the constant-view floor ({label}, {w} worker(s)) | {ratio:.3f}× "
                    f"({fmt(page['rps'])} / {fmt(floor['rps'])} req/s) | {yes(ratio >= 0.6)} |"
                )
        for vlabel, v in (r.get("load_variants") or {}).items():
            page, floor = (
                v["targets"].get("article page"),
                v["targets"].get("constant view (floor)"),
            )
            if page and floor:
                ratio = page["rps"] / floor["rps"]
                add(
                    f"| (for information) article page vs constant view, {vlabel} ({label}, 1 worker) | "
                    f"{ratio:.3f}× | {yes(ratio >= 0.6)} |"
                )
        reads = {p["name"]: p for p in r["reads"]["pages"]}
        worst = max((reads[n]["queries_warm"], n) for n in PUBLIC_PAGES if n in reads)
        detail = ", ".join(f"{n} {reads[n]['queries_warm']}" for n in PUBLIC_PAGES if n in reads)
        add(f"| ≤ 4 queries per public page, warm ({label}) | {detail} | {yes(worst[0] <= 4)} |")
        writes = r.get("writes", {}).get("write_paths", [])
        for key, name, limit in WRITE_OPS:
            if limit is None or not writes:
                continue
            counts = [x.get(f"{key}_queries") for x in writes]
            flat = len(set(counts)) == 1
            add(
                f"| {name} ≤ {limit} queries, flat in versions ({label}) | "
                + ", ".join(
                    f"{c} at {x['versions']} versions" for c, x in zip(counts, writes, strict=False)
                )
                + f" | {yes(max(counts) <= limit and flat)}{'' if flat else ' (not flat)'} |"
            )
        if "home page" in reads and "home page, last page" in reads:
            a, b = reads["home page"]["queries_warm"], reads["home page, last page"]["queries_warm"]
            add(
                f"| lists paginated, constant queries: first vs last page of the home list ({label}) | {a} vs {b} | {yes(a == b)} |"
            )
    keys = sorted(scales, key=int)
    if len(keys) >= 2 and int(keys[-1]) >= 10 * int(keys[0]):
        small, large = scales[keys[0]], scales[keys[-1]]
        a = {p["name"]: p for p in small["reads"]["pages"]}
        b = {p["name"]: p for p in large["reads"]["pages"]}
        for name in (
            "home page",
            "home page, last page",
            "search",
            "read API list",
            "topic page",
            "reviewer dashboard",
            "editor dashboard",
            "version history (workspace)",
        ):
            if name in a and name in b and a[name]["ms_p95"]:
                ratio = b[name]["ms_p95"] / a[name]["ms_p95"]
                add(
                    f"| p95 at {int(keys[-1]):,} within 2× of {int(keys[0]):,}: {name} (in-process) | "
                    f"{fmt(a[name]['ms_p95'], 2)} → {fmt(b[name]['ms_p95'], 2)} ms ({ratio:.2f}×); queries "
                    f"{a[name]['queries_warm']} → {b[name]['queries_warm']} | {yes(ratio <= 2)} |"
                )
    else:
        add(
            '| p95 at 100,000 within 2× of 1,000 | not measured in this run (`make bench SCALE="1000 100000"`) | n/a |'
        )
    add("")
    return lines
